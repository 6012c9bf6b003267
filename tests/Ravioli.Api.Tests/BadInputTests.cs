using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>
/// Every JSON write endpoint gets the same hostile bodies; each must be a 4xx problem, answered in time, and change
/// nothing (the target resource reads the same and no audit event was written).
/// </summary>
public sealed class BadInputTests(BadInputTests.World world) : IClassFixture<BadInputTests.World>
{
    public sealed class World : HostileWorld;

    /// <summary>Longer than any honest request takes on a loaded machine; a request still running then counts as a hang.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Every JSON write endpoint of the API (a test checks this against the running API's endpoint table).</summary>
    public static TheoryData<string> Endpoints => new()
    {
        "POST /v3/organizations",
        "PATCH /v3/organizations/{guid}",
        "POST /v3/spaces",
        "PATCH /v3/spaces/{guid}",
        "POST /v3/users",
        "PATCH /v3/users/{guid}",
        "POST /v3/roles",
        "POST /v3/organization_quotas",
        "PATCH /v3/organization_quotas/{guid}",
        "POST /v3/organization_quotas/{guid}/relationships/organizations",
        "POST /v3/apps",
        "PATCH /v3/apps/{guid}",
        "PATCH /v3/apps/{guid}/environment_variables",
        "PATCH /v3/apps/{guid}/relationships/current_droplet",
        "POST /v3/apps/{guid}/tasks",
        "PATCH /v3/processes/{guid}",
        "POST /v3/processes/{guid}/actions/scale",
        "POST /v3/apps/{guid}/processes/{type}/actions/scale",
        "POST /v3/domains",
        "POST /v3/routes",
        "POST /v3/routes/{guid}/destinations",
        "POST /v3/packages",
        "POST /v3/builds",
        "POST /v3/buildpacks",
        "PATCH /v3/buildpacks/{guid}",
        "POST /v3/service_brokers",
        "PATCH /v3/service_brokers/{guid}",
        "PATCH /v3/service_plans/{guid}/visibility",
        "POST /v3/service_plans/{guid}/visibility",
        "POST /v3/service_instances",
        "PATCH /v3/service_instances/{guid}",
        "POST /v3/service_credential_bindings",
    };

    /// <summary>Write endpoints whose body is not JSON (uploads, OAuth forms) or that take none (actions, deletes); tested elsewhere.</summary>
    public static readonly string[] OtherWriteEndpoints =
    [
        "POST /v3/packages/{guid}/upload", "POST /v3/buildpacks/{guid}/upload", "POST /oauth/token", "POST /oauth/revoke",
        "POST /v3/apps/{guid}/actions/start", "POST /v3/apps/{guid}/actions/stop", "POST /v3/apps/{guid}/actions/restart",
        "POST /v3/tasks/{guid}/actions/cancel",
        "DELETE /v3/organizations/{guid}", "DELETE /v3/spaces/{guid}", "DELETE /v3/users/{guid}", "DELETE /v3/roles/{guid}",
        "DELETE /v3/organization_quotas/{guid}", "DELETE /v3/apps/{guid}", "DELETE /v3/domains/{guid}", "DELETE /v3/routes/{guid}",
        "DELETE /v3/routes/{guid}/destinations/{destination}", "DELETE /v3/buildpacks/{guid}", "DELETE /v3/service_brokers/{guid}",
        "DELETE /v3/service_plans/{guid}/visibility/{organization}", "DELETE /v3/service_instances/{guid}",
        "DELETE /v3/service_credential_bindings/{guid}",
    ];

    [Fact]
    public void The_corpus_covers_every_json_write_endpoint_the_api_maps()
    {
        var mapped = world.JsonWriteEndpoints().Select(e => e.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(mapped, Endpoints.Cast<object[]>().Select(e => (string)e[0]).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(world.AllWriteEndpoints(), mapped.Concat(OtherWriteEndpoints).Order(StringComparer.Ordinal).ToList());
    }

    private (HttpMethod Method, string Path, string Snapshot) Resolve(string endpoint)
    {
        var parts = endpoint.Split(' ');
        var path = world.Fill(parts[1]);
        // What must stay unchanged: the resource a PATCH or action targets, or the collection a POST adds to.
        var snapshot = parts[1] switch
        {
            "/v3/organization_quotas/{guid}/relationships/organizations" => world.Fill("/v3/organization_quotas/{guid}"),
            "/v3/processes/{guid}/actions/scale" or "/v3/apps/{guid}/processes/{type}/actions/scale" => $"/v3/processes/{world.App}",
            "/v3/apps/{guid}/relationships/current_droplet" => $"/v3/apps/{world.App}/droplets/current",
            "/v3/routes/{guid}/destinations" => $"/v3/routes/{world.Route}",
            "/v3/packages" => $"/v3/apps/{world.App}/packages",
            "/v3/builds" => $"/v3/apps/{world.App}/builds",
            "/v3/apps/{guid}/tasks" => $"/v3/apps/{world.App}/tasks",
            "/v3/buildpacks/{guid}" => "/v3/buildpacks",
            _ when parts[0] == "POST" && parts[1].EndsWith("/visibility", StringComparison.Ordinal) => path,
            _ when parts[0] == "POST" => "/" + string.Join('/', path.Split('/').Take(3).Skip(1)),
            _ => path,
        };
        return (new HttpMethod(parts[0]), path, snapshot);
    }

    /// <summary>The hostile bodies every endpoint gets, by name: the body and the status it must get (0 = any 4xx).</summary>
    private static readonly Dictionary<string, (Func<string> Body, int Status)> Corpus = new()
    {
        ["unknown field"] = (() => "{\"no_such_field\": 1}", 422),
        ["array"] = (() => "[]", 400),
        ["string"] = (() => "\"a string\"", 400),
        ["number"] = (() => "42", 400),
        ["null"] = (() => "null", 400),
        ["truncated"] = (() => "{\"name\": \"trunc", 400),
        ["truncated after a key"] = (() => "{\"name\":", 400),
        ["empty"] = (() => "", 400),
        ["whitespace only"] = (() => " \r\n\t ", 400),
        ["5000 nested arrays"] = (() => new string('[', 5000) + new string(']', 5000), 400),
        ["100 nested objects"] = (() => Nest(100), 400),
        ["20000 nested objects"] = (() => Nest(20_000), 400),
        ["too deep inside a known field"] = (() => "{\"relationships\": " + Nest(40) + "}", 400),
        ["duplicate keys"] = (() => "{\"name\": \"a\", \"name\": \"b\"}", 422),
        ["duplicate nested keys"] = (() => "{\"relationships\": {\"space\": {}, \"space\": {}}}", 422),
        ["keys differing in case"] = (() => "{\"name\": \"a\", \"Name\": \"b\"}", 422),
        ["byte order mark"] = (() => "\uFEFF{}", 400),
        ["trailing garbage"] = (() => "{} x", 400),
        ["two objects"] = (() => "{}{}", 400),
        ["comment"] = (() => "{/* hi */}", 400),
        ["trailing comma"] = (() => "{\"a\": 1,}", 400),
        ["single quotes"] = (() => "{'name': 'x'}", 400),
        ["unquoted key"] = (() => "{name: \"x\"}", 400),
        ["NaN"] = (() => "{\"name\": NaN}", 400),
        ["Infinity"] = (() => "{\"name\": -Infinity}", 400),
        ["raw control character in a string"] = (() => "{\"name\": \"a\u0001b\"}", 400),
        ["NUL escape in a value"] = (() => "{\"name\": \"a\\u0000b\"}", 422),
        ["NUL escape in a key"] = (() => "{\"na\\u0000me\": \"x\"}", 422),
        ["unpaired surrogate escape"] = (() => "{\"name\": \"\\ud800\"}", 422),
        ["reversed surrogate escapes"] = (() => "{\"name\": \"\\udc00\\ud800\"}", 422),
        ["20000 unknown keys"] = (() => "{" + string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"k{i}\": {i}")) + "}", 422),
        ["a 500 000 character key"] = (() => "{\"" + new string('k', 500_000) + "\": 1}", 422),
        ["a 1 000 000 character name"] = (() => "{\"name\": \"" + new string('n', 1_000_000) + "\"}", 0),
        ["a 200 000 element array"] = (() => "{\"no_such_field\": [" + string.Join(',', Enumerable.Repeat("0", 200_000)) + "]}", 422),
        ["a number with a huge exponent"] = (() => "{\"no_such_field\": 1e999999}", 422),
        ["a 10 000 digit number"] = (() => "{\"no_such_field\": " + new string('9', 10_000) + "}", 422),
    };

    private static string Nest(int depth) => string.Concat(Enumerable.Repeat("{\"a\": ", depth)) + "1" + new string('}', depth);

    public static TheoryData<string, string> HostileBodies()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Endpoints)
        {
            foreach (var name in Corpus.Keys)
            {
                data.Add(endpoint, name);
            }
        }
        return data;
    }

    private async Task<string> SnapshotAsync(HttpClient admin, string path)
    {
        var resource = (await admin.GetJsonAsync(path)).Expect(HttpStatusCode.OK).GetRawText();
        // Every accepted write records an audit event in its own transaction: a refused one must have left none.
        var events = (await admin.GetJsonAsync("/v3/audit_events?per_page=1")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32();
        return $"{resource}\naudit events: {events}";
    }

    /// <summary>Sends the request; asserts a problem with the status (0 = any 4xx), in time, and the snapshot unchanged. Returns the problem.</summary>
    private async Task<JsonElement> AssertRefusedAndUnchangedAsync(string endpoint, HttpContent? content, int expected, Action<HttpRequestMessage>? adjust = null)
    {
        var admin = world.Admin;
        var (method, path, snapshotPath) = Resolve(endpoint);
        var before = await SnapshotAsync(admin, snapshotPath);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        adjust?.Invoke(request);
        using var timeout = new CancellationTokenSource(RequestTimeout);
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = await admin.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"{endpoint}: no answer within {RequestTimeout.TotalSeconds} s");
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var excerpt = body.Length > 600 ? body[..600] + "…" : body;
            Assert.True(expected == 0 ? status is >= 400 and < 500 : status == expected, $"{endpoint}: expected {(expected == 0 ? "4xx" : expected)}, got {status} after {clock.Elapsed.TotalSeconds:0.0} s: {excerpt}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement.Clone();
            Assert.StartsWith("urn:ravioli:problem:", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
            Assert.Equal(before, await SnapshotAsync(admin, snapshotPath));
            return problem;
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task Hostile_json_is_refused_with_a_problem_and_changes_nothing(string endpoint, string body)
    {
        var (make, status) = Corpus[body];
        await AssertRefusedAndUnchangedAsync(endpoint, Json(make()), status);
    }

    public static TheoryData<string, string> InvalidUtf8 => Cross(Endpoints, ["a bad continuation byte", "a lone 0xFF", "an overlong slash", "an encoded surrogate", "a 5-byte sequence", "a cut-off sequence", "latin-1 text"]);

    private static byte[] InvalidUtf8Bytes(string kind)
    {
        byte[] inner = kind switch
        {
            "a bad continuation byte" => [0xC3, 0x28],
            "a lone 0xFF" => [0xFF],
            "an overlong slash" => [0xC0, 0xAF],
            "an encoded surrogate" => [0xED, 0xA0, 0x80],
            "a 5-byte sequence" => [0xF8, 0x88, 0x80, 0x80, 0x80],
            "a cut-off sequence" => [0xE2, 0x82],
            "latin-1 text" => [(byte)'M', 0xFC, (byte)'n', (byte)'c', (byte)'h', (byte)'e', (byte)'n'],
            _ => throw new ArgumentException(kind),
        };
        return [.. "{\"name\":\""u8, .. inner, .. "\"}"u8];
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Invalid_utf8_is_a_400(string endpoint, string kind)
    {
        var content = new ByteArrayContent(InvalidUtf8Bytes(kind));
        content.Headers.ContentType = new("application/json");
        await AssertRefusedAndUnchangedAsync(endpoint, content, 400);
    }

    public static TheoryData<string, string> ContentTypes => Cross(Endpoints, ["text/plain", "none", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/json", "application/zip"]);

    [Theory]
    [MemberData(nameof(ContentTypes))]
    public async Task Wrong_content_type_is_a_415(string endpoint, string contentType)
    {
        var content = new ByteArrayContent("{\"name\":\"x\"}"u8.ToArray());
        if (contentType != "none")
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        await AssertRefusedAndUnchangedAsync(endpoint, content, 415);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Json_in_utf16_is_a_400(string endpoint)
    {
        var content = new ByteArrayContent(Encoding.Unicode.GetBytes("{\"name\":\"x\"}"));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-16");
        await AssertRefusedAndUnchangedAsync(endpoint, content, 400);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Oversized_body_is_a_413(string endpoint)
    {
        var huge = "{\"name\": \"" + new string('x', 1_100_000) + "\"}";
        await AssertRefusedAndUnchangedAsync(endpoint, Json(huge), 413);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Oversized_chunked_body_without_a_length_is_a_413(string endpoint)
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"name\": \"" + new string('x', 3_000_000) + "\"}")));
        content.Headers.ContentType = new("application/json");
        await AssertRefusedAndUnchangedAsync(endpoint, content, 413, r => r.Headers.TransferEncodingChunked = true);
    }

    private static TheoryData<string, string> Cross(TheoryData<string> endpoints, IEnumerable<string> cases)
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in endpoints)
        {
            foreach (var item in cases)
            {
                data.Add(endpoint, item);
            }
        }
        return data;
    }

    /// <summary>Every field of every endpoint's request record, at every depth: (endpoint, JSON path).</summary>
    public static TheoryData<string, string> EveryField()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Endpoints)
        {
            foreach (var field in RequestShapes.Fields(RequestTypeOf(endpoint)))
            {
                data.Add(endpoint, field.Path);
            }
        }
        return data;
    }

    private static readonly Lazy<Dictionary<string, Type>> RequestTypes = new(() =>
    {
        // The endpoint → record map, read from the API's own metadata through a throwaway-free route: the Accepts<T>
        // declarations are static, so reading them needs no server. HostileWorld.JsonWriteEndpoints checks the same at run time.
        var types = typeof(Ravioli.Api.Apis.AppsApi).Assembly.GetTypes().Where(t => t.Name.EndsWith("Request", StringComparison.Ordinal)).ToDictionary(t => t.Name);
        return new Dictionary<string, Type>
        {
            ["POST /v3/organizations"] = types["CreateOrganizationRequest"],
            ["PATCH /v3/organizations/{guid}"] = types["UpdateOrganizationRequest"],
            ["POST /v3/spaces"] = types["CreateSpaceRequest"],
            ["PATCH /v3/spaces/{guid}"] = types["UpdateSpaceRequest"],
            ["POST /v3/users"] = types["CreateUserRequest"],
            ["PATCH /v3/users/{guid}"] = types["UpdateUserRequest"],
            ["POST /v3/roles"] = types["CreateRoleRequest"],
            ["POST /v3/organization_quotas"] = types["QuotaRequest"],
            ["PATCH /v3/organization_quotas/{guid}"] = types["QuotaRequest"],
            ["POST /v3/organization_quotas/{guid}/relationships/organizations"] = types["ApplyQuotaRequest"],
            ["POST /v3/apps"] = types["CreateAppRequest"],
            ["PATCH /v3/apps/{guid}"] = types["UpdateAppRequest"],
            ["PATCH /v3/apps/{guid}/environment_variables"] = types["EnvironmentVariablesRequest"],
            ["PATCH /v3/apps/{guid}/relationships/current_droplet"] = types["SetCurrentDropletRequest"],
            ["POST /v3/apps/{guid}/tasks"] = types["CreateTaskRequest"],
            ["PATCH /v3/processes/{guid}"] = types["UpdateProcessRequest"],
            ["POST /v3/processes/{guid}/actions/scale"] = types["ScaleRequest"],
            ["POST /v3/apps/{guid}/processes/{type}/actions/scale"] = types["ScaleRequest"],
            ["POST /v3/domains"] = types["CreateDomainRequest"],
            ["POST /v3/routes"] = types["CreateRouteRequest"],
            ["POST /v3/routes/{guid}/destinations"] = types["InsertDestinationsRequest"],
            ["POST /v3/packages"] = types["CreatePackageRequest"],
            ["POST /v3/builds"] = types["CreateBuildRequest"],
            ["POST /v3/buildpacks"] = types["BuildpackRequest"],
            ["PATCH /v3/buildpacks/{guid}"] = types["BuildpackRequest"],
            ["POST /v3/service_brokers"] = types["CreateServiceBrokerRequest"],
            ["PATCH /v3/service_brokers/{guid}"] = types["UpdateServiceBrokerRequest"],
            ["PATCH /v3/service_plans/{guid}/visibility"] = types["PlanVisibilityRequest"],
            ["POST /v3/service_plans/{guid}/visibility"] = types["PlanVisibilityRequest"],
            ["POST /v3/service_instances"] = types["CreateServiceInstanceRequest"],
            ["PATCH /v3/service_instances/{guid}"] = types["UpdateServiceInstanceRequest"],
            ["POST /v3/service_credential_bindings"] = types["CreateServiceBindingRequest"],
        };
    });

    public static Type RequestTypeOf(string endpoint) => RequestTypes.Value[endpoint];

    [Fact]
    public void The_request_types_used_here_are_the_ones_the_api_reads()
    {
        foreach (var endpoint in world.JsonWriteEndpoints())
        {
            Assert.True(RequestTypeOf(endpoint.ToString()) == endpoint.RequestType, $"{endpoint}: the API reads {endpoint.RequestType.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(EveryField))]
    public async Task A_wrong_type_in_any_field_is_a_422_naming_it(string endpoint, string path)
    {
        var field = RequestShapes.Fields(RequestTypeOf(endpoint)).Single(f => f.Path == path);
        var body = RequestShapes.Place(path, RequestShapes.WrongType(field.Kind)).ToJsonString();
        var problem = await AssertRefusedAndUnchangedAsync(endpoint, Json(body), 422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"{endpoint} {body}: errors should name '{path}': {problem}");
    }

    [Theory]
    [MemberData(nameof(EveryField))]
    public async Task A_nul_character_in_any_field_is_a_422_naming_it(string endpoint, string path)
    {
        var field = RequestShapes.Fields(RequestTypeOf(endpoint)).Single(f => f.Path == path);
        // A NUL where the field holds text: the value itself, a map's key and value, a list's element, a free object's member.
        JsonNode value = field.Kind switch
        {
            FieldKind.Map => new JsonObject { ["A\0B"] = "x" },
            FieldKind.FreeObject => new JsonObject { ["k"] = "v\0" },
            FieldKind.List => new JsonArray("a\0b"),
            _ => JsonValue.Create("a\0b"),
        };
        var body = RequestShapes.Place(path, value).ToJsonString();
        var problem = await AssertRefusedAndUnchangedAsync(endpoint, Json(body), 422);
        var named = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.True(named.Any(n => n.StartsWith(path, StringComparison.Ordinal)), $"{endpoint} {body}: errors should name '{path}': {problem}");
    }

    /// <summary>Every whole-number field of every endpoint: (endpoint, JSON path).</summary>
    public static TheoryData<string, string, string> NumericExtremes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var endpoint in Endpoints)
        {
            foreach (var field in RequestShapes.Fields(RequestTypeOf(endpoint)).Where(f => f.Kind == FieldKind.Integer))
            {
                foreach (var value in new[] { "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809", "1e400", "1.5", "1e3", "0x10", "-0.0", "\"1\"", "true", "-1" })
                {
                    data.Add(endpoint, field.Path, value);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(NumericExtremes))]
    public async Task Out_of_range_and_negative_numbers_are_refused(string endpoint, string path, string value)
    {
        var body = RequestShapes.Place(path, JsonValue.Create("§")).ToJsonString().Replace("\"\\u00A7\"", value, StringComparison.Ordinal);
        Assert.Contains(value, body, StringComparison.Ordinal);
        // 0x10 is not JSON at all; everything else is JSON that no int field may hold (or, for -1, that none allows).
        var problem = await AssertRefusedAndUnchangedAsync(endpoint, Json(body), value == "0x10" ? 400 : 422);
        if (value is not ("0x10" or "-1"))
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(path, out _), $"{endpoint} {body}: errors should name '{path}': {problem}");
        }
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "POST /v3/organizations", "{\"name\": 42}", "name" },
        { "POST /v3/service_brokers", "{\"name\": \"b\", \"url\": 5}", "url" },
        { "POST /v3/service_instances", "{\"type\": \"managed\", \"name\": \"x\", \"tags\": \"not-a-list\"}", "tags" },
        { "POST /v3/service_instances", "{\"type\": \"user-provided\", \"name\": \"x\", \"credentials\": [1]}", "credentials" },
        { "POST /v3/service_credential_bindings", "{\"type\": \"key\", \"name\": \"k\", \"parameters\": \"x\"}", "parameters" },
        { "POST /v3/organizations", "{\"name\": \"x\", \"suspended\": \"yes\"}", "suspended" },
        { "PATCH /v3/organizations/{guid}", "{\"name\": [\"x\"]}", "name" },
        { "POST /v3/spaces", "{\"name\": \"x\", \"relationships\": {\"organization\": {\"data\": {\"guid\": 7}}}}", "relationships.organization.data.guid" },
        { "PATCH /v3/spaces/{guid}", "{\"name\": {}}", "name" },
        { "POST /v3/users", "{\"username\": \"x\", \"password\": 12345678}", "password" },
        { "PATCH /v3/users/{guid}", "{\"admin\": \"true\"}", "admin" },
        { "POST /v3/roles", "{\"type\": 1}", "type" },
        { "POST /v3/organization_quotas", "{\"name\": \"x\", \"apps\": {\"total_memory_in_mb\": \"lots\"}}", "apps.total_memory_in_mb" },
        { "POST /v3/organization_quotas", "{\"name\": \"x\", \"apps\": {\"total_instances\": 99999999999999}}", "apps.total_instances" },
        { "POST /v3/organization_quotas", "{\"name\": \"x\", \"apps\": {\"total_apps\": 1.5}}", "apps.total_apps" },
        { "PATCH /v3/organization_quotas/{guid}", "{\"routes\": {\"total_routes\": true}}", "routes.total_routes" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\": {\"guid\": \"x\"}}", "data" },
        { "POST /v3/apps", "{\"name\": \"x\", \"environment_variables\": {\"A\": 1}}", "environment_variables.A" },
        { "PATCH /v3/apps/{guid}", "{\"lifecycle\": {\"data\": {\"buildpacks\": \"node\"}}}", "lifecycle.data.buildpacks" },
        { "PATCH /v3/apps/{guid}/environment_variables", "{\"var\": {\"A\": {\"nested\": true}}}", "var.A" },
        { "PATCH /v3/processes/{guid}", "{\"command\": 5}", "command" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"instances\": \"many\"}", "instances" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"memory_in_mb\": 1e400}", "memory_in_mb" },
        { "PATCH /v3/apps/{guid}/relationships/current_droplet", "{\"data\": \"x\"}", "data" },
        { "POST /v3/domains", "{\"name\": false}", "name" },
        { "POST /v3/routes", "{\"host\": [], \"relationships\": {}}", "host" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": {\"app\": {}}}", "destinations" },
        { "POST /v3/packages", "{\"type\": 7}", "type" },
        { "POST /v3/builds", "{\"package\": \"guid\"}", "package" },
        { "POST /v3/apps/{guid}/tasks", "{\"command\": [\"ls\"]}", "command" },
        { "POST /v3/buildpacks", "{\"name\": \"x\", \"position\": \"first\"}", "position" },
        { "PATCH /v3/buildpacks/{guid}", "{\"enabled\": \"no\"}", "enabled" },
        { "PATCH /v3/service_brokers/{guid}", "{\"authentication\": {\"credentials\": {\"password\": 123}}}", "authentication.credentials.password" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\": \"organization\", \"organizations\": \"all\"}", "organizations" },
        { "POST /v3/service_plans/{guid}/visibility", "{\"type\": [\"organization\"]}", "type" },
        { "PATCH /v3/service_instances/{guid}", "{\"tags\": [1, 2]}", "tags[0]" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Wrong_types_are_a_422_naming_the_field(string endpoint, string body, string field)
    {
        var problem = await AssertRefusedAndUnchangedAsync(endpoint, Json(body), 422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
    }

    [Fact]
    public async Task Unknown_nested_field_is_named_with_its_path()
    {
        var (status, problem) = await world.Admin.PostJsonAsync("/v3/spaces", new { name = "x", relationships = new { organization = new { data = new { guid = world.Org, extra = 1 } } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("relationships.organization.data.extra", out _), problem.ToString());
    }

    public static TheoryData<string, string, string> MissingOrInvalidFields => new()
    {
        { "POST /v3/organizations", "{}", "name" },
        { "POST /v3/organizations", "{\"name\": \"   \"}", "name" },
        { "POST /v3/organizations", $"{{\"name\": \"{new string('n', 256)}\"}}", "name" },
        { "POST /v3/organizations", "{\"name\": \"tab\\there\"}", "name" },
        { "POST /v3/organizations", "{\"name\": \"zero\\u200bwidth\"}", "name" },
        { "POST /v3/organizations", "{\"name\": \"right-to-left\\u202eoverride\"}", "name" },
        { "POST /v3/organizations", "{\"name\": \"new\\nline\"}", "name" },
        { "POST /v3/organizations", "{\"name\": \"del\\u007f\"}", "name" },
        { "POST /v3/organizations", "{\"name\": \"\\ufeffbom\"}", "name" },
        { "POST /v3/organizations", "{\"name\": \" leading\"}", "name" },
        { "PATCH /v3/organizations/{guid}", $"{{\"name\": \"{new string('n', 256)}\"}}", "name" },
        { "POST /v3/spaces", "{\"name\": \"x\"}", "relationships.organization.data.guid" },
        { "POST /v3/spaces", "{\"relationships\": {\"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "name" },
        { "POST /v3/spaces", $"{{\"name\": \"{new string('n', 256)}\", \"relationships\": {{\"organization\": {{\"data\": {{\"guid\": \"{{org}}\"}}}}}}}}", "name" },
        { "POST /v3/spaces", "{\"name\": \"x\", \"relationships\": {\"organization\": {\"data\": {\"guid\": \"no-such-org\"}}}}", "relationships.organization.data.guid" },
        { "POST /v3/spaces", "{\"name\": \"x\", \"relationships\": {\"organization\": {\"data\": {\"guid\": \"' OR '1'='1\"}}}}", "relationships.organization.data.guid" },
        { "PATCH /v3/spaces/{guid}", "{\"name\": \"\"}", "name" },
        { "POST /v3/users", "{\"password\": \"long-enough\"}", "username" },
        { "POST /v3/users", "{\"username\": \"x\"}", "password" },
        { "POST /v3/users", "{\"username\": \"x\", \"password\": \"short\"}", "password" },
        { "POST /v3/users", $"{{\"username\": \"x\", \"password\": \"{new string('p', 1025)}\"}}", "password" },
        { "POST /v3/users", $"{{\"username\": \"{new string('u', 256)}\", \"password\": \"long-enough\"}}", "username" },
        { "POST /v3/users", "{\"username\": \"<script>alert(1)</script>\", \"password\": \"long-enough\"}", "username" },
        { "POST /v3/users", "{\"username\": \"x' OR '1'='1\", \"password\": \"long-enough\"}", "username" },
        { "POST /v3/users", "{\"username\": \"victim\\n\", \"password\": \"long-enough\"}", "username" },
        { "POST /v3/users", "{\"username\": \"admin\\n\", \"password\": \"long-enough\"}", "username" },
        { "PATCH /v3/users/{guid}", "{\"password\": \"short\"}", "password" },
        { "POST /v3/roles", "{\"type\": \"emperor\", \"relationships\": {\"user\": {\"data\": {\"username\": \"victim\"}}, \"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "type" },
        { "POST /v3/roles", "{\"type\": \"space_developer\", \"relationships\": {\"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "relationships.user.data" },
        { "POST /v3/roles", "{\"type\": \"organization_manager\", \"relationships\": {\"user\": {\"data\": {\"username\": \"nobody-at-all\"}}, \"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "relationships.user.data.username" },
        { "POST /v3/organization_quotas", "{\"name\": \"neg\", \"apps\": {\"total_memory_in_mb\": -1}}", "apps.total_memory_in_mb" },
        { "POST /v3/organization_quotas", "{\"name\": \"neg\", \"apps\": {\"per_process_memory_in_mb\": -1}}", "apps.per_process_memory_in_mb" },
        { "POST /v3/organization_quotas", "{\"name\": \"neg\", \"services\": {\"total_service_instances\": -1}}", "services.total_service_instances" },
        { "POST /v3/organization_quotas", "{\"name\": \"neg\", \"routes\": {\"total_routes\": -5}}", "routes.total_routes" },
        { "PATCH /v3/organization_quotas/{guid}", "{\"apps\": {\"total_instances\": -2147483648}}", "apps.total_instances" },
        { "PATCH /v3/organization_quotas/{guid}", "{\"apps\": {\"total_apps\": -1}}", "apps.total_apps" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\": []}", "data" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\": [{\"guid\": \"no-such-org\"}]}", "data[0].guid" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\": [null]}", "data[0]" },
        { "POST /v3/organization_quotas/{guid}/relationships/organizations", "{\"data\": [{\"guid\": \"{org}\"}, null]}", "data[1]" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"environment_variables\": {\"PORT\": \"1\"}}", "environment_variables.PORT" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"environment_variables\": {\"1BAD\": \"1\"}}", "environment_variables.1BAD" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"environment_variables\": {\"A\": null}}", "environment_variables.A" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"environment_variables\": {\"PORT\\n\": \"1\"}}", "environment_variables.PORT\n" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"lifecycle\": {\"type\": \"docker\"}}", "lifecycle.type" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"lifecycle\": {\"data\": {\"buildpacks\": [null]}}}", "lifecycle.data.buildpacks[0]" },
        { "POST /v3/apps", "{\"name\": \"x\"}", "relationships.space.data.guid" },
        { "PATCH /v3/apps/{guid}", $"{{\"name\": \"{new string('n', 256)}\"}}", "name" },
        { "PATCH /v3/apps/{guid}", "{\"lifecycle\": {\"data\": {\"stack\": \"\\u0007\"}}}", "lifecycle.data.stack" },
        { "PATCH /v3/apps/{guid}/environment_variables", "{\"var\": {\"VCAP_SERVICES\": \"{}\"}}", "var.VCAP_SERVICES" },
        { "PATCH /v3/apps/{guid}/environment_variables", "{\"var\": {\"PORT\\n\": \"1\"}}", "var.PORT\n" },
        { "PATCH /v3/apps/{guid}/environment_variables", "{\"var\": {\"cf_instance_ip\": \"1\"}}", "var.cf_instance_ip" },
        { "PATCH /v3/apps/{guid}/environment_variables", $"{{\"var\": {{\"{new string('E', 256)}\": \"1\"}}}}", $"var.{new string('E', 256)}" },
        { "PATCH /v3/apps/{guid}/environment_variables", "{}", "var" },
        { "PATCH /v3/apps/{guid}/relationships/current_droplet", "{\"data\": {\"guid\": \"nope\"}}", "data.guid" },
        { "PATCH /v3/apps/{guid}/relationships/current_droplet", "{\"data\": null}", "data.guid" },
        { "POST /v3/apps/{guid}/tasks", "{}", "command" },
        { "POST /v3/apps/{guid}/tasks", "{\"command\": \"   \"}", "command" },
        { "POST /v3/apps/{guid}/tasks", $"{{\"command\": \"{new string('c', 4097)}\"}}", "command" },
        { "POST /v3/apps/{guid}/tasks", "{\"command\": \"ls\", \"memory_in_mb\": 0}", "memory_in_mb" },
        { "POST /v3/apps/{guid}/tasks", "{\"command\": \"ls\", \"memory_in_mb\": 65537}", "memory_in_mb" },
        { "POST /v3/apps/{guid}/tasks", "{\"command\": \"ls\", \"disk_in_mb\": -1}", "disk_in_mb" },
        { "POST /v3/apps/{guid}/tasks", $"{{\"command\": \"ls\", \"name\": \"{new string('t', 256)}\"}}", "name" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"instances\": -1}", "instances" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"instances\": 1001}", "instances" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"instances\": 2147483647}", "instances" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"memory_in_mb\": 0}", "memory_in_mb" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"memory_in_mb\": -2147483648}", "memory_in_mb" },
        { "POST /v3/processes/{guid}/actions/scale", "{\"disk_in_mb\": 0}", "disk_in_mb" },
        { "POST /v3/apps/{guid}/processes/{type}/actions/scale", "{\"disk_in_mb\": 65537}", "disk_in_mb" },
        { "PATCH /v3/processes/{guid}", "{\"health_check\": {\"type\": \"ping\"}}", "health_check.type" },
        { "PATCH /v3/processes/{guid}", "{\"health_check\": {\"type\": \"http\", \"data\": {\"endpoint\": \"no-slash\"}}}", "health_check.data.endpoint" },
        { "PATCH /v3/processes/{guid}", "{\"health_check\": {\"data\": {\"timeout\": 0}}}", "health_check.data.timeout" },
        { "PATCH /v3/processes/{guid}", "{\"health_check\": {\"data\": {\"invocation_timeout\": 61}}}", "health_check.data.invocation_timeout" },
        { "PATCH /v3/processes/{guid}", $"{{\"command\": \"{new string('c', 4097)}\"}}", "command" },
        { "POST /v3/domains", $"{{\"name\": \"{new string('d', 250)}.com\"}}", "name" },
        { "POST /v3/domains", "{\"name\": \"example.com\\n\"}", "name" },
        { "POST /v3/domains", "{\"name\": \"-bad-.com\"}", "name" },
        { "POST /v3/domains", "{\"name\": \"nodot\"}", "name" },
        { "POST /v3/routes", "{\"host\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}}", "relationships.domain.data.guid" },
        { "POST /v3/routes", $"{{\"host\": \"{new string('h', 64)}\", \"relationships\": {{}}}}", "host" },
        { "POST /v3/routes", "{\"host\": \"evil\\n\", \"relationships\": {}}", "host" },
        { "POST /v3/routes", "{\"host\": \"x\", \"path\": \"/a/../../b\", \"relationships\": {}}", "path" },
        { "POST /v3/routes", "{\"host\": \"x\", \"path\": \"/a?b\", \"relationships\": {}}", "path" },
        { "POST /v3/routes", "{\"host\": \"x\", \"path\": \"/a\\r\\nSet-Cookie: x\", \"relationships\": {}}", "path" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": []}", "destinations" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": [null]}", "destinations[0]" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": [{\"app\": {\"guid\": \"ghost\"}}]}", "destinations[0].app.guid" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": [{\"app\": {\"guid\": \"{app}\", \"process\": {\"type\": \"<b>web</b>\"}}}]}", "destinations[0].app.process.type" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": [{\"app\": {\"guid\": \"{app}\", \"process\": {\"type\": \"\"}}}]}", "destinations[0].app.process.type" },
        { "POST /v3/routes/{guid}/destinations", $"{{\"destinations\": [{{\"app\": {{\"guid\": \"{{app}}\", \"process\": {{\"type\": \"{new string('w', 256)}\"}}}}}}]}}", "destinations[0].app.process.type" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": [{\"app\": {\"guid\": \"{app}\"}, \"port\": 8080}]}", "destinations[0].port" },
        { "POST /v3/routes/{guid}/destinations", "{\"destinations\": [" + string.Join(',', Enumerable.Repeat("{\"app\": {\"guid\": \"{app}\"}}", 101)) + "]}", "destinations" },
        { "POST /v3/packages", "{\"type\": \"docker\", \"relationships\": {\"app\": {\"data\": {\"guid\": \"x\"}}}}", "type" },
        { "POST /v3/packages", "{\"type\": \"bits\"}", "relationships.app.data.guid" },
        { "POST /v3/builds", "{}", "package.guid" },
        { "POST /v3/buildpacks", "{\"name\": \"binary_buildpack\"}", "name" },
        { "POST /v3/buildpacks", "{\"name\": \"../../etc\"}", "name" },
        { "POST /v3/buildpacks", "{\"name\": \"ok_bp\", \"position\": 10001}", "position" },
        { "PATCH /v3/buildpacks/{guid}", "{\"name\": \"has space\"}", "name" },
        { "PATCH /v3/buildpacks/{guid}", "{\"position\": 0}", "position" },
        { "POST /v3/service_brokers", "{\"name\": \"b\", \"url\": \"file:///etc/passwd\", \"authentication\": {\"type\": \"basic\", \"credentials\": {\"username\": \"u\", \"password\": \"p\"}}}", "url" },
        { "POST /v3/service_brokers", "{\"name\": \"b\", \"url\": \"http://127.0.0.1:9/?x=1\", \"authentication\": {\"type\": \"basic\", \"credentials\": {\"username\": \"u\", \"password\": \"p\"}}}", "url" },
        { "POST /v3/service_brokers", "{\"name\": \"b\", \"url\": \"http://127.0.0.1:9\", \"authentication\": {\"type\": \"bearer\", \"credentials\": {\"username\": \"u\", \"password\": \"p\"}}}", "authentication.type" },
        { "POST /v3/service_brokers", "{\"name\": \"b\", \"url\": \"http://127.0.0.1:9\"}", "authentication" },
        { "POST /v3/service_brokers", $"{{\"name\": \"b\", \"url\": \"http://127.0.0.1:9\", \"authentication\": {{\"type\": \"basic\", \"credentials\": {{\"username\": \"u\", \"password\": \"{new string('p', 1025)}\"}}}}}}", "authentication.credentials.password" },
        { "PATCH /v3/service_brokers/{guid}", "{\"url\": \"gopher://x\"}", "url" },
        { "PATCH /v3/service_brokers/{guid}", "{\"name\": \"\"}", "name" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\": \"everyone\"}", "type" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\": \"organization\"}", "organizations" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\": \"organization\", \"organizations\": [null]}", "organizations[0]" },
        { "PATCH /v3/service_plans/{guid}/visibility", "{\"type\": \"public\", \"organizations\": [{\"guid\": \"{org}\"}]}", "organizations" },
        { "POST /v3/service_plans/{guid}/visibility", "{\"type\": \"public\"}", "type" },
        { "POST /v3/service_plans/{guid}/visibility", "{\"type\": \"organization\", \"organizations\": [{\"guid\": \"ghost\"}]}", "organizations[0].guid" },
        { "POST /v3/service_instances", "{\"type\": \"user-provided\", \"name\": \"u\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"tags\": [null]}", "tags[0]" },
        { "POST /v3/service_instances", "{\"type\": \"user-provided\", \"name\": \"u\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"syslog_drain_url\": \"javascript:alert(1)\"}", "syslog_drain_url" },
        { "POST /v3/service_instances", "{\"type\": \"user-provided\", \"name\": \"u\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"route_service_url\": \"http://not-https\"}", "route_service_url" },
        { "POST /v3/service_instances", $"{{\"type\": \"user-provided\", \"name\": \"u\", \"relationships\": {{\"space\": {{\"data\": {{\"guid\": \"{{space}}\"}}}}}}, \"credentials\": {{\"big\": \"{new string('c', 70_000)}\"}}}}", "credentials" },
        { "PATCH /v3/service_instances/{guid}", "{\"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}}", "relationships.space" },
        { "PATCH /v3/service_instances/{guid}", "{\"parameters\": {}}", "parameters" },
        { "PATCH /v3/service_instances/{guid}", "{\"tags\": [\"\"]}", "tags" },
        { "POST /v3/service_credential_bindings", "{\"type\": \"app\", \"relationships\": {\"service_instance\": {\"data\": {\"guid\": \"{instance}\"}}}}", "relationships.app.data.guid" },
        { "POST /v3/service_credential_bindings", "{\"type\": \"key\", \"relationships\": {\"service_instance\": {\"data\": {\"guid\": \"{instance}\"}}}}", "name" },
        { "POST /v3/service_credential_bindings", "{\"type\": \"secret\", \"name\": \"k2\"}", "type" },
        { "POST /v3/service_credential_bindings", "{\"type\": \"key\", \"name\": \"k2\", \"relationships\": {\"service_instance\": {\"data\": {\"guid\": \"{instance}\"}}}, \"parameters\": {\"a\": 1}}", "parameters" },
    };

    [Theory]
    [MemberData(nameof(MissingOrInvalidFields))]
    public async Task Missing_or_invalid_fields_are_a_422_naming_the_field(string endpoint, string body, string field)
    {
        body = body.Replace("{org}", world.Org).Replace("{space}", world.Space).Replace("{app}", world.App).Replace("{instance}", world.Instance);
        var problem = await AssertRefusedAndUnchangedAsync(endpoint, Json(body), 422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
    }

    /// <summary>Endpoints with a "name" (or "username", "host") and the rest of a body that would otherwise pass or fail later.</summary>
    public static readonly Dictionary<string, (string Field, string Others)> Named = new()
    {
        ["POST /v3/organizations"] = ("name", ""),
        ["PATCH /v3/organizations/{guid}"] = ("name", ""),
        ["POST /v3/spaces"] = ("name", ", \"relationships\": {\"organization\": {\"data\": {\"guid\": \"{org}\"}}}"),
        ["PATCH /v3/spaces/{guid}"] = ("name", ""),
        ["POST /v3/users"] = ("username", ", \"password\": \"long-enough\""),
        ["POST /v3/organization_quotas"] = ("name", ""),
        ["PATCH /v3/organization_quotas/{guid}"] = ("name", ""),
        ["POST /v3/apps"] = ("name", ", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}"),
        ["PATCH /v3/apps/{guid}"] = ("name", ""),
        ["POST /v3/apps/{guid}/tasks"] = ("name", ", \"command\": \"true\""),
        ["POST /v3/domains"] = ("name", ""),
        ["POST /v3/routes"] = ("host", ", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}, \"domain\": {\"data\": {\"guid\": \"{domain}\"}}}"),
        ["POST /v3/buildpacks"] = ("name", ""),
        ["PATCH /v3/buildpacks/{guid}"] = ("name", ""),
        ["POST /v3/service_brokers"] = ("name", ", \"url\": \"{broker}\", \"authentication\": {\"type\": \"basic\", \"credentials\": {\"username\": \"broker-user\", \"password\": \"broker-secret-password\"}}"),
        ["PATCH /v3/service_brokers/{guid}"] = ("name", ""),
        ["POST /v3/service_instances"] = ("name", ", \"type\": \"user-provided\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}"),
        ["PATCH /v3/service_instances/{guid}"] = ("name", ""),
        ["POST /v3/service_credential_bindings"] = ("name", ", \"type\": \"key\", \"relationships\": {\"service_instance\": {\"data\": {\"guid\": \"{instance}\"}}}"),
    };

    /// <summary>What a name must not be: control and invisible characters (as JSON escapes), edges of whitespace, and length.</summary>
    public static readonly string[] BadNames =
    [
        "a\\u0001b", "a\\u0008b", "a\\tb", "a\\nb", "a\\rb", "a\\u001bb", "a\\u007fb", "a\\u0085b", "a\\u200bb", "a\\u200eb", "a\\u202eb",
        "a\\u2066b", "a\\ufeffb", "\\u00a0lead", "trail ", "", "   ", "256 characters", "100 000 characters",
    ];

    public static TheoryData<string, string> NamedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Named.Keys)
        {
            foreach (var name in BadNames)
            {
                data.Add(endpoint, name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(NamedCases))]
    public async Task Control_characters_invisible_characters_and_lengths_in_any_name_are_a_422(string endpoint, string name)
    {
        var (field, others) = Named[endpoint];
        var value = name switch
        {
            "256 characters" => new string('n', 256),
            "100 000 characters" => new string('n', 100_000),
            _ => name,
        };
        var body = $"{{\"{field}\": \"{value}\"{others}}}".Replace("{org}", world.Org).Replace("{space}", world.Space).Replace("{domain}", world.Domain)
            .Replace("{instance}", world.Instance).Replace("{broker}", world.Broker.Url);
        var problem = await AssertRefusedAndUnchangedAsync(endpoint, Json(body), 422);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{endpoint} {body[..Math.Min(200, body.Length)]}: errors should name '{field}': {problem}");
    }

    [Fact]
    public async Task Duplicate_names_in_the_same_scope_are_422_never_500()
    {
        var admin = world.Admin;
        (await admin.PostJsonAsync("/v3/organizations", new { name = "hostile-org" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = world.Org } } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/users", new { username = "VICTIM", password = "long-enough" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/organization_quotas", new { name = "q" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/apps", new { name = "a", relationships = new { space = new { data = new { guid = world.Space } } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/buildpacks", new { name = "hostile_bp" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = "ups", relationships = new { space = new { data = new { guid = world.Space } } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/service_credential_bindings", new { type = "key", name = "k", relationships = new { service_instance = new { data = new { guid = world.Instance } } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody("hostile-broker", world.Broker.Url))).Expect(HttpStatusCode.UnprocessableEntity);
        var role = new { type = "organization_auditor", relationships = new { user = new { data = new { guid = world.User } }, organization = new { data = new { guid = world.Org } } } };
        (await admin.PostJsonAsync("/v3/roles", role)).Expect(HttpStatusCode.Created);
        (await admin.PostJsonAsync("/v3/roles", role)).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("per_page=5001")]
    [InlineData("per_page=-1")]
    [InlineData("page=abc")]
    [InlineData("page=99999999999999999999")]
    [InlineData("order_by=password_hash")]
    [InlineData("order_by=name;DROP TABLE organizations")]
    [InlineData("no_such_filter=1")]
    public async Task Bad_list_parameters_are_a_422_naming_the_parameter(string query)
    {
        var (status, problem) = await world.Admin.GetJsonAsync("/v3/organizations?" + query);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(query.Split('=')[0], out _), problem.ToString());
    }

    [Theory]
    [InlineData("/v3/organizations?names=%00")]
    [InlineData("/v3/apps?space_guids=a%00b")]
    [InlineData("/v3/routes?hosts=%00")]
    [InlineData("/v3/service_instances?names=x,%00")]
    [InlineData("/v3/audit_events?target_guids=%00")]
    [InlineData("/v3/organizations?na%00mes=x")]
    public async Task A_nul_in_the_query_string_is_a_400(string path)
    {
        var (status, problem) = await world.Admin.GetJsonAsync(path);
        Assert.True(status == HttpStatusCode.BadRequest, $"{path}: {(int)status} {problem}");
        Assert.StartsWith("urn:ravioli:problem:", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v3/organizations?names=%27%20OR%20%271%27%3D%271")]
    [InlineData("/v3/organizations?names=%3Cscript%3E")]
    [InlineData("/v3/organizations?guids=%25")]
    [InlineData("/v3/organizations?names=_")]
    [InlineData("/v3/apps?names=%ED%A0%80")]
    public async Task Sql_and_wildcard_looking_filters_match_nothing(string path)
    {
        var body = (await world.Admin.GetJsonAsync(path)).Expect(HttpStatusCode.OK);
        Assert.Equal(0, body.GetProperty("pagination").GetProperty("total_results").GetInt32());
    }

    /// <summary>Fields that keep free text, and a value meant to break a SQL string, an HTML page and a JSON string at once.</summary>
    public static TheoryData<string> VerbatimFields => new()
    {
        "organization name", "space name", "app name", "quota name", "service instance name", "service key name", "task name",
        "env var value", "user-provided credentials", "service instance tag", "route path",
    };

    private const string Nasty = "Robert'); DROP TABLE organizations;-- <script>alert(\"x\")</script> & \\ \u2028 ' OR 1=1 -- %s {{7*7}} ${jndi:x}";

    [Theory]
    [MemberData(nameof(VerbatimFields))]
    public async Task Sql_and_html_looking_values_are_stored_verbatim_and_returned_as_escaped_json(string field)
    {
        var admin = world.Admin;
        var unique = Guid.NewGuid().ToString("N")[..6];
        var name = Nasty + " " + unique;
        var space = new { data = new { guid = world.Space } };
        var (read, value) = field switch
        {
            "organization name" => ($"/v3/organizations/{await world.CreateAsync("/v3/organizations", new { name })}", "name"),
            "space name" => ($"/v3/spaces/{await world.CreateAsync("/v3/spaces", new { name, relationships = new { organization = new { data = new { guid = world.Org } } } })}", "name"),
            "app name" => ($"/v3/apps/{await world.CreateAsync("/v3/apps", new { name, relationships = new { space } })}", "name"),
            "quota name" => ($"/v3/organization_quotas/{await world.CreateAsync("/v3/organization_quotas", new { name })}", "name"),
            "service instance name" => ($"/v3/service_instances/{await world.CreateAsync("/v3/service_instances", new { type = "user-provided", name, relationships = new { space } })}", "name"),
            "service key name" => ($"/v3/service_credential_bindings/{await world.CreateAsync("/v3/service_credential_bindings", new { type = "key", name, relationships = new { service_instance = new { data = new { guid = world.Instance } } } })}", "name"),
            "task name" => ($"/v3/tasks/{await world.CreateAsync($"/v3/apps/{world.App}/tasks", new { command = "true", name })}", "name"),
            "env var value" => await EnvAsync(name, unique),
            "user-provided credentials" => ($"/v3/service_instances/{await world.CreateAsync("/v3/service_instances", new { type = "user-provided", name = "creds-" + unique, relationships = new { space }, credentials = new Dictionary<string, string> { ["k"] = name } })}/credentials", "k"),
            "service instance tag" => ($"/v3/service_instances/{await world.CreateAsync("/v3/service_instances", new { type = "user-provided", name = "tags-" + unique, relationships = new { space }, tags = new[] { name } })}", "tags[0]"),
            "route path" => ($"/v3/routes/{await world.CreateAsync("/v3/routes", new { host = "v" + unique, path = "/<script>alert('" + unique + "')<-x-%s'--", relationships = new { space, domain = new { data = new { guid = world.Domain } } } })}", "path"),
            _ => throw new ArgumentException(field),
        };
        if (field == "route path")
        {
            name = "/<script>alert('" + unique + "')<-x-%s'--";
        }
        using var response = await admin.GetAsync(read);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        // Escaped for any page that pastes it into HTML: no raw angle brackets, ampersands or quotes of ours in the bytes.
        Assert.DoesNotContain("<script>", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("alert(\"", raw, StringComparison.Ordinal);
        var stored = JsonDocument.Parse(raw).RootElement;
        foreach (var segment in value.Split('.'))
        {
            stored = segment.EndsWith("[0]", StringComparison.Ordinal) ? stored.GetProperty(segment[..^3])[0] : stored.GetProperty(segment);
        }
        Assert.Equal(name, stored.GetString());
        // And nothing ran: the organizations table is still there.
        (await admin.GetJsonAsync($"/v3/organizations/{world.Org}")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_problem_that_repeats_a_hostile_value_escapes_it_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/organizations") { Content = Json("{\"name\": \"hostile-org\", \"<img src=x onerror=alert(1)>\": 1}") };
        using var response = await world.Admin.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.DoesNotContain("<img", raw, StringComparison.Ordinal);
        Assert.Contains("<img src=x onerror=alert(1)>", JsonDocument.Parse(raw).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<(string Read, string Value)> EnvAsync(string value, string unique)
    {
        var name = "NASTY_" + unique;
        (await world.Admin.PatchJsonAsync($"/v3/apps/{world.App}/environment_variables", new { var = new Dictionary<string, string> { [name] = value } })).Expect(HttpStatusCode.OK);
        return ($"/v3/apps/{world.App}/environment_variables", "var." + name);
    }
}
