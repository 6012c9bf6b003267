using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ravioli.Api.Tests;

/// <summary>
/// Builds random request bodies from an endpoint's request record: each field present or missing, of the right
/// type or not, plausible (a real guid, a valid name, so validation is passed and the code behind it runs) or
/// extreme (huge numbers, long, control-laden or markup strings), with unknown fields and nested junk mixed in,
/// and now and then a body broken at the text level. Deterministic for a given <see cref="Random"/>.
/// </summary>
public sealed class BodyFuzzer(
    Random random, IReadOnlyDictionary<string, string[]> related, IReadOnlyList<string> guids, string brokerUrl, IReadOnlyDictionary<string, string[]>? plausible = null, string? template = null)
{
    /// <summary>Fields that hold a body together: a sane body leaves them out less often than the optional ones.</summary>
    private static readonly HashSet<string> Structural = ["relationships", "data", "guid", "name", "type", "app", "space", "organization", "service_plan", "service_instance", "user", "domain", "package", "authentication", "username", "password", "url", "destinations", "organizations", "command", "host"];

    private static readonly string[] Types =
    [
        "managed", "user-provided", "app", "key", "bits", "docker", "buildpack", "basic", "public", "admin", "organization", "space",
        "port", "http", "process", "web", "worker", "organization_user", "organization_manager", "organization_auditor",
        "space_developer", "space_manager", "space_auditor",
    ];

    private static readonly string[] HostileStrings =
    [
        "", " ", "\t", "\n", "\r\n", "a\u0001b", "\u0007", "\u007f", "\u00a0", "\u200b", "\u202e", "\ufeff", "\u2028", "\ufffd", "😀", "𝔘𝔫𝔦",
        "Robert'); DROP TABLE apps;--", "' OR '1'='1", "\" OR \"\"=\"", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x}",
        "%00", "%s%s%n", "../../../../etc/passwd", "..\\..\\windows", "/", "//", "C:\\", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/",
        "null", "true", "0", "-1", "NaN", "[]", "{}", "\\", "\\u0000", "Ω≈ç√", "ＡＢＣ", "İ", "ß", "ǅ",
    ];

    /// <summary>Values still to make for the current body: nesting multiplies, and a body must stay a body, not a gigabyte.</summary>
    private int _budget;
    private bool _sane;

    /// <summary>One body for a request of type <paramref name="request"/>, as the text that is sent.</summary>
    public string Body(Type request)
    {
        _budget = 20_000;
        // Two bodies in five are nearly right, so that they get past validation and reach the code that stores things.
        _sane = Chance(0.4);
        if (Chance(0.03))
        {
            return Junk(0).ToJsonString();
        }
        if (template is not null && Chance(0.35))
        {
            return Mutate(request, template.Replace("{unique}", Token(), StringComparison.Ordinal));
        }
        var text = Record(request, "", 0).ToJsonString();
        return !_sane && Chance(0.15) ? Mangle(text) : text;
    }

    private bool Chance(double p) => random.NextDouble() < p;

    /// <summary>
    /// A valid body with one or two of its fields changed (a new value, junk, null, gone) or an unknown one added:
    /// close enough to valid that most of the endpoint's code runs with exactly one thing wrong.
    /// </summary>
    private string Mutate(Type request, string valid)
    {
        var body = JsonNode.Parse(valid)!.AsObject();
        var fields = RequestShapes.Fields(request).ToDictionary(f => f.Path);
        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var present = Leaves(body, "").ToList();
            var (path, parent, key) = present.Count > 0 && Chance(0.7) ? Pick(present) : ("", body, "extra_" + random.Next(100));
            var field = fields.GetValueOrDefault(Regex.Replace(path, @"\[\d+\]", "[0]"));
            parent[key] = random.Next(5) switch
            {
                0 => null,
                1 => Junk(1),
                2 when field is not null => Value(field.Name, path, field.Type, 1),
                3 => JsonValue.Create(Hostile()),
                _ => Number(),
            };
            if (Chance(0.15) && parent.ContainsKey(key))
            {
                parent.Remove(key);
            }
        }
        return body.ToJsonString();
    }

    private static IEnumerable<(string Path, JsonObject Parent, string Key)> Leaves(JsonObject node, string prefix)
    {
        foreach (var (key, value) in node.ToList())
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            yield return (path, node, key);
            if (value is JsonObject child)
            {
                foreach (var leaf in Leaves(child, path))
                {
                    yield return leaf;
                }
            }
            else if (value is JsonArray { Count: > 0 } list && list[0] is JsonObject first)
            {
                foreach (var leaf in Leaves(first, path + "[0]"))
                {
                    yield return leaf;
                }
            }
        }
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private JsonObject Record(Type type, string parent, int depth)
    {
        var body = new JsonObject();
        foreach (var property in RequestShapes.Properties(type))
        {
            var name = RequestShapes.JsonName(property);
            var roll = random.NextDouble();
            if (roll < (_sane ? (Structural.Contains(name) ? 0.05 : 0.4) : 0.25))
            {
                continue;
            }
            roll = _sane ? random.NextDouble() : roll;
            var path = parent.Length == 0 ? name : $"{parent}.{name}";
            body[name] = roll switch
            {
                _ when _sane => roll < 0.02 ? null : roll < 0.04 ? Junk(depth + 1) : Value(name, path, property.PropertyType, depth + 1),
                < 0.33 => null,
                < 0.45 => Junk(depth + 1),
                _ => Value(name, path, property.PropertyType, depth + 1),
            };
        }
        if (Chance(_sane ? 0.02 : 0.1))
        {
            var real = body.Select(p => p.Key).ToList();
            // Near misses of real names are the interesting unknown fields: a typo must never be silently ignored.
            var extra = "extra_" + random.Next(1000);
            if (real.Count > 0 && Chance(0.5))
            {
                var r = Pick(real);
                extra = Pick(new[] { r.ToUpperInvariant(), r + " ", r.Replace("_", "", StringComparison.Ordinal), "_" + r });
            }
            if (!body.ContainsKey(extra))
            {
                body[extra] = Junk(depth + 1);
            }
        }
        return body;
    }

    private JsonNode? Value(string name, string path, Type type, int depth)
    {
        if (--_budget < 0)
        {
            return null;
        }
        switch (RequestShapes.KindOf(type))
        {
            case FieldKind.String:
                return JsonValue.Create(Chance(_sane ? 0.9 : 0.6) ? Plausible(name, path) : Hostile());
            case FieldKind.Integer:
                return Number();
            case FieldKind.Boolean:
                return JsonValue.Create(Chance(0.5));
            case FieldKind.FreeObject:
                return RandomObject(depth);
            case FieldKind.Map:
            {
                var map = new JsonObject();
                var count = Chance(0.05) ? 300 : random.Next(4);
                for (var i = 0; i < count; i++)
                {
                    var key = Chance(0.7) ? "FUZZ_" + random.Next(100_000) : Hostile();
                    if (!map.ContainsKey(key))
                    {
                        map[key] = Chance(0.1) ? null : Chance(0.1) ? Junk(depth + 1) : JsonValue.Create(Chance(0.7) ? "value-" + random.Next(100) : Hostile());
                    }
                }
                return map;
            }
            case FieldKind.List:
            {
                var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
                var list = new JsonArray();
                var count = Chance(0.05) ? random.Next(100, 1500) : random.Next(4);
                for (var i = 0; i < count; i++)
                {
                    list.Add(Chance(0.05) ? null : Value(Singular(name), $"{path}[{i}]", element, depth + 1));
                }
                return list;
            }
            default:
                return depth > 8 ? new JsonObject() : Record(type, path, depth);
        }
    }

    /// <summary>
    /// The guid of the kind of resource the path names ("relationships.space.data.guid": a space), mostly, so that
    /// relationships resolve; sometimes any guid of the world (the wrong kind, another tenant's in other tests).
    /// </summary>
    private string RelatedGuid(string path)
    {
        var names = path.Split('.', '[').Select(s => s.TrimEnd(']')).Where(s => s is not ("data" or "guid") && !int.TryParse(s, out _)).ToList();
        var kind = names.Count > 0 ? names[^1] : "data";
        if (path.StartsWith("data", StringComparison.Ordinal))
        {
            kind = "data";
        }
        return Chance(0.9) && related.TryGetValue(kind, out var candidates) ? Pick(candidates) : Pick(guids);
    }

    private static string Singular(string name) => name switch
    {
        "buildpacks" => "buildpack",
        "tags" => "tag",
        _ => name,
    };

    /// <summary>A value that passes the field's validation more often than not, so the code after validation runs too.</summary>
    private string Plausible(string name, string path) => plausible is not null && plausible.TryGetValue(Regex.Replace(path, @"\[\d+\]", "[0]"), out var values) && Chance(0.9)
        ? Pick(values)
        : name switch
    {
        "guid" => Chance(0.85) ? RelatedGuid(path) : Guid.NewGuid().ToString(),
        "type" => Pick(Types),
        "name" => "fuzz-" + Token(),
        "username" => Chance(0.3) ? Pick(new[] { "victim", "admin", "VICTIM" }) : "fuzz" + Token(),
        "password" or "current_password" => "pw-" + Token() + Token(),
        "url" => Pick(new[] { brokerUrl, "http://127.0.0.1:9", "https://" + Token() + ".invalid", brokerUrl + "/", brokerUrl + "/v2" }),
        "host" => "h" + Token(),
        "path" => "/" + Token(),
        "command" => Pick(new[] { "echo hi", "", "sleep 1", "ls -la /" }),
        "endpoint" => Pick(new[] { "/health", "/", "health" }),
        "stack" => Pick(new[] { "ravioli-bookworm", "cflinuxfs4" }),
        "syslog_drain_url" => Pick(new[] { "syslog://logs.example.com:514", "https://logs.example.com", "" }),
        "route_service_url" => Pick(new[] { "https://rs.example.com", "" }),
        "origin" => "uaa",
        "buildpack" => Pick(new[] { "nodejs_buildpack", "binary_buildpack", "hostile_bp", "no_such_bp" }),
        "tag" => "t" + random.Next(10),
        _ => Token(),
    };

    private string Token() => Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))[..random.Next(4, 12)];

    private string Hostile() => random.Next(6) switch
    {
        0 => new string('x', Pick(new[] { 255, 256, 1025, 4097, 70_000 })),
        1 => string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(1, 0xD7FF))),
        2 => Pick(HostileStrings) + Token(),
        _ => Pick(HostileStrings),
    };

    private JsonValue Number() => random.Next(_sane ? 30 : 10) switch
    {
        0 => JsonValue.Create(int.MaxValue),
        1 => JsonValue.Create(int.MinValue),
        2 => JsonValue.Create(-1),
        3 => JsonValue.Create(long.MaxValue),
        4 => JsonValue.Create(1.5),
        5 => JsonValue.Create(1e20),
        6 => JsonValue.Create(0),
        _ => JsonValue.Create(Pick(new[] { 1, 2, 64, 128, 256, 1024, 4096, 65536, 600, 60 })),
    };

    private JsonObject RandomObject(int depth)
    {
        var value = new JsonObject();
        var count = _budget <= 0 ? 0 : Chance(0.03) ? Math.Min(500, _budget) : random.Next(5);
        _budget -= count;
        for (var i = 0; i < count; i++)
        {
            var key = Chance(0.8) ? "k" + i : Hostile();
            if (!value.ContainsKey(key))
            {
                value[key] = depth < 6 && Chance(0.3) ? RandomObject(depth + 1) : Junk(depth + 1);
            }
        }
        return value;
    }

    /// <summary>Any JSON value at all, nested a little.</summary>
    private JsonNode Junk(int depth) => random.Next(depth > 5 || --_budget < 0 ? 6 : 9) switch
    {
        0 => JsonValue.Create(Hostile()),
        1 => Number(),
        2 => JsonValue.Create(Chance(0.5)),
        3 => JsonValue.Create(random.NextDouble() * 1e300),
        4 => JsonValue.Create(Token()),
        5 => JsonValue.Create(""),
        6 => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => (JsonNode?)Junk(depth + 1))]),
        7 => RandomObject(depth + 1),
        _ => new JsonObject { ["data"] = new JsonObject { ["guid"] = Pick(guids) } },
    };

    /// <summary>Damage the text itself: what a serializer never produces but a client can still send.</summary>
    private string Mangle(string text)
    {
        var quote = text.IndexOf(":\"", StringComparison.Ordinal);
        switch (random.Next(6))
        {
            case 0 when quote > 0:
                return text.Insert(quote + 2, "\\ud800");
            case 1 when quote > 0:
                return text.Insert(quote + 2, "\\u0000");
            case 2 when text.Length > 2:
                return text[..random.Next(1, text.Length - 1)];
            case 3 when text.StartsWith("{\"", StringComparison.Ordinal) && text.IndexOf(',', StringComparison.Ordinal) is var comma and > 0:
                // The first member twice: a duplicate key.
                return "{" + text[1..comma] + "," + text[1..];
            case 4:
                return text + Pick(new[] { "}", "]", ",", " garbage", "\u0000" });
            default:
                // Any character for any other, control characters and structural ones included (invalid UTF-8 has its own tests).
                var at = random.Next(text.Length);
                return text[..at] + (char)random.Next(0, 0x7F) + text[(at + 1)..];
        }
    }
}
