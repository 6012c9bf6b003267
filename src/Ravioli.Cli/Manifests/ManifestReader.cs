using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ravioli.Cli.Commands;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Ravioli.Cli.Manifests;

/// <summary>
/// Reads a Cloud Foundry <c>manifest.yml</c>. Every problem names the file and line: a wrong type is an
/// error (nothing is pushed), an unknown key a warning (it is ignored, as a typo must not pass silently).
/// The file is untrusted input, so its size, nesting and aliases are bounded before it is loaded.
/// </summary>
internal sealed partial class ManifestReader
{
    /// <summary>Manifests are a few hundred bytes; a bigger file is almost certainly not one.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>Enough for the odd <c>&amp;defaults</c>; few enough that alias expansion ("billion laughs") stays small.</summary>
    public const int MaxAliases = 32;

    /// <summary>Loading is recursive; a deeply nested document must not exhaust the stack.</summary>
    public const int MaxDepth = 32;

    private const int MaxNodes = 100_000;
    private const int MaxMergeDepth = 8;

    private static readonly string[] FileNames = ["manifest.yml", "manifest.yaml"];

    // cf keys that Ravioli does not act on: said once each, rather than called unknown.
    private static readonly HashSet<string> Unsupported = new(StringComparer.Ordinal)
    {
        "stack", "docker", "sidecars", "metadata", "log-rate-limit-per-second", "readiness-health-check-type",
        "readiness-health-check-http-endpoint", "readiness-health-check-invocation-timeout", "readiness-health-check-interval",
    };

    private static readonly HashSet<string> DeprecatedRouteKeys = new(StringComparer.Ordinal) { "host", "hosts", "domain", "domains", "no-hostname" };

    private readonly string _name;
    private readonly List<(long Line, string Text)> _warnings = [];
    private int _visited;

    private ManifestReader(string name) => _name = name;

    /// <summary>The manifest in <paramref name="directory"/>: <c>manifest.yml</c>, else <c>manifest.yaml</c>, else null.</summary>
    public static string? Find(string directory)
        => FileNames.Select(name => Path.Combine(directory, name)).FirstOrDefault(File.Exists);

    public static async Task<Manifest> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new CliException($"Manifest file {path} does not exist. Check the path given with -f.");
        }

        if (file.Length > MaxBytes)
        {
            throw new CliException($"{file.Name} is {Output.ByteSize.Format(file.Length)}, more than a manifest may be (1M). Is -f pointing at the right file?");
        }

        return Parse(await File.ReadAllTextAsync(path, cancellationToken), path);
    }

    /// <summary>Parses manifest text; <paramref name="path"/> names it in messages and anchors relative app paths.</summary>
    public static Manifest Parse(string text, string path)
    {
        var reader = new ManifestReader(Path.GetFileName(path));
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            throw new CliException($"{reader._name} is more than 1M, more than a manifest may be. Is it the right file?");
        }

        var apps = reader.Read(text);
        return new Manifest(path, apps, [.. reader._warnings.OrderBy(w => w.Line).Select(w => w.Text)]);
    }

    private List<AppManifest> Read(string text)
    {
        CheckShape(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw Error(e.Start.Line, Clean(e));
        }

        if (stream.Documents.Count == 0)
        {
            throw Error(1, "the manifest is empty; it needs an 'applications:' list");
        }

        if (stream.Documents.Count > 1)
        {
            throw Error(stream.Documents[1].RootNode.Start.Line, "there is more than one YAML document (---); list every app under one 'applications:'");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw Error(stream.Documents[0].RootNode.Start.Line, "the manifest must be a mapping with an 'applications:' list");
        }

        YamlNode? applications = null;
        foreach (var (key, value) in Entries(root, 0))
        {
            switch (key.Value)
            {
                case "applications":
                    applications = value;
                    break;
                case "version":
                    break;
                default:
                    Unknown(key);
                    break;
            }
        }

        if (applications is not YamlSequenceNode list)
        {
            throw Error(applications?.Start.Line ?? root.Start.Line, "'applications' must be a list of apps, each with a 'name'");
        }

        var apps = list.Children.Select((node, index) => ReadApp(node, index)).ToList();
        if (apps.Count == 0)
        {
            throw Error(list.Start.Line, "'applications' lists no apps");
        }

        foreach (var twice in apps.GroupBy(a => a.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw Error(twice.Skip(1).First().Line, $"app '{twice.Key}' is listed more than once");
        }

        return apps;
    }

    /// <summary>
    /// Walks the raw parse events (the parser keeps its own stack, so this is safe on any input) and
    /// refuses documents that would be expensive to load: deep nesting, and many aliases — an alias
    /// costs nothing to write but can stand for a whole tree, and trees of aliases grow exponentially.
    /// </summary>
    private void CheckShape(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        var aliases = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case AnchorAlias alias when ++aliases > MaxAliases:
                        throw Error(alias.Start.Line, $"more than {MaxAliases} YAML aliases (*name); a manifest needs few if any, so this file is refused");
                    case MappingStart or SequenceStart when ++depth > MaxDepth:
                        throw Error(parser.Current.Start.Line, $"nested more than {MaxDepth} levels deep; a manifest needs a handful");
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (YamlException e)
        {
            throw Error(e.Start.Line, Clean(e));
        }
    }

    private AppManifest ReadApp(YamlNode node, int index)
    {
        if (node is not YamlMappingNode map)
        {
            throw Error(node.Start.Line, $"app {index + 1} of 'applications' must be a mapping of keys such as name, memory and instances");
        }

        string? name = null;
        string? path = null;
        IReadOnlyList<string>? buildpacks = null;
        YamlScalarNode? legacyBuildpack = null;
        YamlScalarNode? modernBuildpacks = null;
        IReadOnlyDictionary<string, string> env = new Dictionary<string, string>();
        IReadOnlyList<string>? routes = null;
        var randomRoute = false;
        var noRoute = false;
        IReadOnlyList<ProcessManifest> processes = [];
        IReadOnlyList<ServiceManifest> services = [];
        var web = new ProcessSettings();

        foreach (var (key, value) in Entries(map, 0))
        {
            if (ReadProcessKey(key.Value!, value, ref web))
            {
                continue;
            }

            switch (key.Value)
            {
                case "name":
                    name = String(value, "name");
                    break;
                case "path":
                    path = String(value, "path");
                    break;
                case "buildpacks":
                    modernBuildpacks = key;
                    buildpacks = NameList(value, "buildpacks");
                    break;
                case "buildpack":
                    legacyBuildpack = key;
                    var single = String(value, "buildpack");

                    // cf's legacy spelling for "detect it": no name, "default" or "null".
                    buildpacks = single is null or "" or "default" or "null" ? [] : [single];
                    break;
                case "env":
                    env = Env(value);
                    break;
                case "routes":
                    routes = Routes(value);
                    break;
                case "random-route":
                    randomRoute = Bool(value, "random-route") ?? false;
                    break;
                case "no-route":
                    noRoute = Bool(value, "no-route") ?? false;
                    break;
                case "processes":
                    processes = Processes(value);
                    break;
                case "services":
                    services = Services(value);
                    break;
                default:
                    Unknown(key);
                    break;
            }
        }

        if (legacyBuildpack is not null && modernBuildpacks is not null)
        {
            throw Error(legacyBuildpack.Start.Line, "give either 'buildpacks' or the legacy 'buildpack', not both");
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            throw Error(map.Start.Line, $"app {index + 1} of 'applications' has no 'name'");
        }

        return new AppManifest
        {
            Name = name,
            Line = (int)map.Start.Line,
            Path = path,
            Web = web,
            Buildpacks = buildpacks,
            Env = env,
            Routes = routes,
            RandomRoute = randomRoute,
            NoRoute = noRoute,
            Processes = processes,
            Services = services,
        };
    }

    /// <summary>The keys an app and a <c>processes:</c> entry share; false for any other key.</summary>
    private bool ReadProcessKey(string key, YamlNode value, ref ProcessSettings settings)
    {
        switch (key)
        {
            case "instances":
                settings = settings with { Instances = WholeNumber(value, key, 0) };
                return true;
            case "memory":
                settings = settings with { MemoryMb = Size(value, key) };
                return true;
            case "disk_quota":
                settings = settings with { DiskMb = Size(value, key) };
                return true;
            case "command":
                var command = String(value, key, allowNull: true);
                settings = settings with { Command = command is "null" or "default" ? string.Empty : command };
                return true;
            case "health-check-type":
                settings = settings with { HealthCheckType = HealthCheckType(value, key) };
                return true;
            case "health-check-http-endpoint":
                var endpoint = String(value, key);
                if (endpoint is not null && !endpoint.StartsWith('/'))
                {
                    throw Error(value.Start.Line, $"'{key}' must be a path starting with '/', got '{endpoint}'");
                }

                settings = settings with { HealthCheckEndpoint = endpoint };
                return true;
            case "timeout":
                settings = settings with { Timeout = WholeNumber(value, key, 1) };
                return true;
            case "health-check-invocation-timeout":
                settings = settings with { InvocationTimeout = WholeNumber(value, key, 1) };
                return true;
            default:
                return false;
        }
    }

    private List<ProcessManifest> Processes(YamlNode node)
    {
        if (node is not YamlSequenceNode list)
        {
            throw Error(node.Start.Line, $"'processes' must be a list of mappings, each with a 'type', got {Kind(node)}");
        }

        var processes = new List<ProcessManifest>();
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode map)
            {
                throw Error(item.Start.Line, $"each entry of 'processes' must be a mapping with a 'type', got {Kind(item)}");
            }

            string? type = null;
            var settings = new ProcessSettings();
            foreach (var (key, value) in Entries(map, 0))
            {
                if (key.Value == "type")
                {
                    type = String(value, "type");
                }
                else if (!ReadProcessKey(key.Value!, value, ref settings))
                {
                    Unknown(key);
                }
            }

            if (string.IsNullOrWhiteSpace(type))
            {
                throw Error(map.Start.Line, "an entry of 'processes' has no 'type' (such as web or worker)");
            }

            if (processes.Any(p => p.Type == type))
            {
                throw Error(map.Start.Line, $"process type '{type}' is listed more than once in 'processes'");
            }

            processes.Add(new ProcessManifest(type, settings, (int)map.Start.Line));
        }

        return processes;
    }

    private List<string> Routes(YamlNode node)
    {
        if (node is not YamlSequenceNode list)
        {
            throw Error(node.Start.Line, $"'routes' must be a list such as [{{route: myapp.apps.localhost}}], got {Kind(node)}");
        }

        var routes = new List<string>();
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode map)
            {
                throw Error(item.Start.Line, $"each entry of 'routes' must be a mapping such as {{route: myapp.apps.localhost}}, got {Kind(item)}");
            }

            string? route = null;
            foreach (var (key, value) in Entries(map, 0))
            {
                switch (key.Value)
                {
                    case "route":
                        route = String(value, "route");
                        break;
                    case "protocol":
                        if (String(value, "protocol") is { } protocol && protocol is not ("http1" or "http"))
                        {
                            throw Error(value.Start.Line, $"only http routes are supported, got protocol '{protocol}'");
                        }

                        break;
                    default:
                        Unknown(key);
                        break;
                }
            }

            if (string.IsNullOrWhiteSpace(route))
            {
                throw Error(map.Start.Line, "an entry of 'routes' has no 'route'");
            }

            if (route.Contains("://", StringComparison.Ordinal))
            {
                throw Error(map.Start.Line, $"write 'route' without a scheme, such as myapp.apps.localhost/path; got '{route}'");
            }

            if (route.Split('/')[0].Contains(':', StringComparison.Ordinal))
            {
                throw Error(map.Start.Line, $"routes with a port (TCP routes) are not supported; got '{route}'");
            }

            routes.Add(route);
        }

        return routes;
    }

    private List<ServiceManifest> Services(YamlNode node)
    {
        if (node is YamlScalarNode scalar && IsNull(scalar))
        {
            return [];
        }

        if (node is not YamlSequenceNode list)
        {
            throw Error(node.Start.Line, $"'services' must be a list of service instance names, got {Kind(node)}");
        }

        var services = new List<ServiceManifest>();
        foreach (var item in list.Children)
        {
            string? name = null;
            JsonObject? parameters = null;
            string? bindingName = null;
            if (item is YamlMappingNode map)
            {
                foreach (var (key, value) in Entries(map, 0))
                {
                    switch (key.Value)
                    {
                        case "name":
                            name = String(value, "name");
                            break;
                        case "parameters":
                            parameters = value is YamlScalarNode empty && IsNull(empty)
                                ? null
                                : value is YamlMappingNode
                                    ? (JsonObject)ToJson(value)!
                                    : throw Error(value.Start.Line, $"'parameters' of a service must be a mapping (the JSON object sent to the broker), got {Kind(value)}");
                            break;
                        case "binding_name":
                            bindingName = String(value, "binding_name");
                            break;
                        default:
                            Unknown(key);
                            break;
                    }
                }
            }
            else
            {
                name = String(item, "services");
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                throw Error(item.Start.Line, "an entry of 'services' has no name");
            }

            if (services.Any(s => s.Name == name))
            {
                throw Error(item.Start.Line, $"service '{name}' is listed twice; an app binds a service instance once");
            }

            services.Add(new ServiceManifest(name, parameters, string.IsNullOrWhiteSpace(bindingName) ? null : bindingName));
        }

        return services;
    }

    /// <summary>
    /// YAML as the JSON a broker receives, read the way cf's YAML library reads it: plain scalars that look
    /// like numbers, booleans or null are those; quoted ones stay strings.
    /// </summary>
    private JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(Entries(map, 0).Select(e => KeyValuePair.Create(e.Key.Value!, ToJson(e.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw Error(node.Start.Line, $"{Kind(node)} cannot be sent to a broker"),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(scalar.Value ?? string.Empty);
        }

        var text = scalar.Value ?? string.Empty;
        if (IsNull(scalar))
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            return JsonValue.Create(whole);
        }

        if (YamlFloat().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(text);
    }

    private Dictionary<string, string> Env(YamlNode node)
    {
        if (node is YamlScalarNode scalar && IsNull(scalar))
        {
            return [];
        }

        if (node is not YamlMappingNode map)
        {
            throw Error(node.Start.Line, $"'env' must be a mapping of NAME: value, got {Kind(node)}");
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in Entries(map, 0))
        {
            var name = key.Value!;
            if (!EnvName().IsMatch(name))
            {
                throw Error(key.Start.Line, $"'{name}' is not a valid env variable name: use letters, digits and '_', not starting with a digit");
            }

            if (value is not YamlScalarNode text)
            {
                throw Error(value.Start.Line, $"'env.{name}' must be a string, number or true/false, got {Kind(value)}");
            }

            // Numbers and booleans become their text, as cf does; env values are strings.
            env[name] = IsNull(text) ? string.Empty : text.Value ?? string.Empty;
        }

        return env;
    }

    private IReadOnlyList<string>? NameList(YamlNode node, string key)
    {
        if (node is YamlScalarNode scalar && IsNull(scalar))
        {
            return null;
        }

        if (node is not YamlSequenceNode list)
        {
            throw Error(node.Start.Line, $"'{key}' must be a list of names, such as [nodejs_buildpack], got {Kind(node)}");
        }

        return [.. list.Children.Select(item => String(item, key) ?? throw Error(item.Start.Line, $"'{key}' has an empty entry"))];
    }

    private string? String(YamlNode node, string key, bool allowNull = false)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw Error(node.Start.Line, $"'{key}' must be a string, got {Kind(node)}");
        }

        if (IsNull(scalar))
        {
            return allowNull && scalar.Value is "null" or "Null" or "NULL" or "~" ? "null" : null;
        }

        return scalar.Value;
    }

    private int? WholeNumber(YamlNode node, string key, int minimum)
    {
        var text = Text(node, key, "a whole number");
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(node.Start.Line, $"'{key}' must be a whole number, got '{text}'");
        }

        return value >= minimum
            ? value
            : throw Error(node.Start.Line, $"'{key}' must be at least {minimum.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
    }

    private long? Size(YamlNode node, string key)
    {
        var text = Text(node, key, "a size such as 256M or 1G");
        if (text is null)
        {
            return null;
        }

        return Limits.TryParseMegabytes(text, out var megabytes) && megabytes > 0
            ? megabytes
            : throw Error(node.Start.Line, $"'{key}' must be a size such as 256M or 1G, got '{text}'");
    }

    private bool? Bool(YamlNode node, string key)
    {
        var text = Text(node, key, "true or false");
        return text?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error(node.Start.Line, $"'{key}' must be true or false, got '{text}'"),
        };
    }

    private string? HealthCheckType(YamlNode node, string key)
    {
        var text = Text(node, key, "port, http or process");
        return text?.ToLowerInvariant() switch
        {
            null => null,
            "port" or "http" or "process" => text.ToLowerInvariant(),

            // cf's old name for "just check the process is alive".
            "none" => "process",
            _ => throw Error(node.Start.Line, $"'{key}' must be port, http or process, got '{text}'"),
        };
    }

    /// <summary>A scalar's text, null for YAML null; a list or mapping where a scalar belongs is an error.</summary>
    private string? Text(YamlNode node, string key, string expected)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw Error(node.Start.Line, $"'{key}' must be {expected}, got {Kind(node)}");
        }

        return IsNull(scalar) ? null : scalar.Value?.Trim();
    }

    /// <summary>
    /// A mapping's entries with YAML merge keys (<c>&lt;&lt;: *defaults</c>) applied as go-yaml (and so cf)
    /// applies them: the mapping's own keys win over merged ones. Counts every node visited, so even a
    /// document built to expand through merges stays bounded.
    /// </summary>
    private List<(YamlScalarNode Key, YamlNode Value)> Entries(YamlMappingNode map, int depth)
    {
        var own = new List<(YamlScalarNode Key, YamlNode Value)>();
        var merged = new List<(YamlScalarNode Key, YamlNode Value)>();
        foreach (var (keyNode, value) in map.Children)
        {
            Visit(keyNode);
            Visit(value);
            if (keyNode is not YamlScalarNode key || key.Value is null)
            {
                throw Error(keyNode.Start.Line, $"keys must be plain names, got {Kind(keyNode)}");
            }

            if (key.Value == "<<" && key.Style == ScalarStyle.Plain)
            {
                if (depth >= MaxMergeDepth)
                {
                    throw Error(key.Start.Line, $"merge keys ('<<') nest more than {MaxMergeDepth} levels deep");
                }

                IEnumerable<YamlNode> sources = value is YamlSequenceNode several ? several.Children : [value];
                foreach (var source in sources)
                {
                    merged.AddRange(source is YamlMappingNode mapping
                        ? Entries(mapping, depth + 1)
                        : throw Error(source.Start.Line, $"'<<' must merge a mapping (such as <<: *defaults), got {Kind(source)}"));
                }

                continue;
            }

            own.Add((key, value));
        }

        var seen = own.Select(e => e.Key.Value!).ToHashSet(StringComparer.Ordinal);
        own.AddRange(merged.Where(e => seen.Add(e.Key.Value!)));
        return own;
    }

    private void Visit(YamlNode node)
    {
        if (++_visited > MaxNodes)
        {
            throw Error(node.Start.Line, "the manifest expands to too many values (through aliases or merges); it is refused");
        }
    }

    private void Unknown(YamlScalarNode key)
    {
        var name = key.Value;
        var line = key.Start.Line;
        if (name is not null && Unsupported.Contains(name))
        {
            _warnings.Add((line, $"{_name} line {line.ToString(CultureInfo.InvariantCulture)}: '{name}' is not supported by Ravioli (ignored)"));
        }
        else if (name is not null && DeprecatedRouteKeys.Contains(name))
        {
            _warnings.Add((line, $"{_name} line {line.ToString(CultureInfo.InvariantCulture)}: '{name}' is a deprecated cf key; use 'routes:' instead (ignored)"));
        }
        else
        {
            _warnings.Add((line, $"{_name} line {line.ToString(CultureInfo.InvariantCulture)}: unknown key '{name}' (ignored)"));
        }
    }

    private CliException Error(long line, string message)
        => new($"{_name} line {line.ToString(CultureInfo.InvariantCulture)}: {message}");

    private static bool IsNull(YamlScalarNode scalar)
        => scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string Kind(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        YamlScalarNode scalar => $"'{scalar.Value}'",
        _ => "something else",
    };

    /// <summary>YamlDotNet's message without its "(Line: 3, Col: 1, Idx: 20) - (...): " prefix, which the caller says better.</summary>
    private static string Clean(YamlException e)
    {
        var message = YamlPosition().Replace(e.Message, string.Empty);
        return $"not valid YAML: {message.TrimEnd('.')}";
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex YamlPosition();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
