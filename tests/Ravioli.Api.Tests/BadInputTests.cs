using System.Net;
using System.Text;
using System.Text.Json;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>Every JSON write endpoint gets the same hostile bodies; each must be a 4xx problem and change nothing.</summary>
public sealed class BadInputTests(BadInputTests.World world) : IClassFixture<BadInputTests.World>
{
    public sealed class World : RavioliServerFixture
    {
        public string Org = "", Space = "", User = "", Quota = "", App = "", Route = "", Domain = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            using var admin = await AdminClientAsync();
            Org = (await admin.PostJsonAsync("/v3/organizations", new { name = "bad-input-org" })).Expect(HttpStatusCode.Created).Guid();
            Space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = Org } } } })).Expect(HttpStatusCode.Created).Guid();
            User = (await admin.PostJsonAsync("/v3/users", new { username = "victim", password = "long-enough" })).Expect(HttpStatusCode.Created).Guid();
            Quota = (await admin.PostJsonAsync("/v3/organization_quotas", new { name = "q" })).Expect(HttpStatusCode.Created).Guid();
            App = (await admin.PostJsonAsync("/v3/apps", new { name = "a", relationships = new { space = new { data = new { guid = Space } } } })).Expect(HttpStatusCode.Created).Guid();
            Domain = (await admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
            Route = (await admin.PostJsonAsync("/v3/routes", new { host = "bad-input", relationships = new { space = new { data = new { guid = Space } }, domain = new { data = new { guid = Domain } } } })).Expect(HttpStatusCode.Created).Guid();
        }
    }

    /// <summary>(method, path, a valid body, the path whose state must not change).</summary>
    public static TheoryData<string> Endpoints => new()
    {
        "POST /v3/organizations",
        "PATCH /v3/organizations/{org}",
        "POST /v3/spaces",
        "PATCH /v3/spaces/{space}",
        "POST /v3/users",
        "PATCH /v3/users/{user}",
        "POST /v3/roles",
        "POST /v3/organization_quotas",
        "PATCH /v3/organization_quotas/{quota}",
        "POST /v3/organization_quotas/{quota}/relationships/organizations",
        "POST /v3/apps",
        "PATCH /v3/apps/{app}",
        "PATCH /v3/apps/{app}/environment_variables",
        "PATCH /v3/processes/{app}",
        "POST /v3/processes/{app}/actions/scale",
        "POST /v3/apps/{app}/processes/web/actions/scale",
        "PATCH /v3/apps/{app}/relationships/current_droplet",
        "POST /v3/domains",
        "POST /v3/routes",
        "POST /v3/routes/{route}/destinations",
        "POST /v3/packages",
        "POST /v3/builds",
        "POST /v3/apps/{app}/tasks",
        "POST /v3/buildpacks",
        "POST /v3/service_brokers",
        "POST /v3/service_instances",
        "POST /v3/service_credential_bindings",
    };

    private (HttpMethod Method, string Path, string Snapshot) Resolve(string endpoint)
    {
        var parts = endpoint.Split(' ');
        var path = parts[1].Replace("{org}", world.Org).Replace("{space}", world.Space).Replace("{user}", world.User)
            .Replace("{quota}", world.Quota).Replace("{app}", world.App).Replace("{route}", world.Route);
        // What must stay unchanged: the resource a PATCH or action targets, or the collection a POST adds to.
        var snapshot = parts[1] switch
        {
            "/v3/organization_quotas/{quota}/relationships/organizations" => $"/v3/organization_quotas/{world.Quota}",
            "/v3/processes/{app}/actions/scale" or "/v3/apps/{app}/processes/web/actions/scale" => $"/v3/processes/{world.App}",
            "/v3/apps/{app}/relationships/current_droplet" => $"/v3/apps/{world.App}",
            "/v3/routes/{route}/destinations" => $"/v3/routes/{world.Route}",
            "/v3/packages" => $"/v3/apps/{world.App}/packages",
            "/v3/builds" => $"/v3/apps/{world.App}/builds",
            "/v3/apps/{app}/tasks" => $"/v3/apps/{world.App}/tasks",
            _ when parts[0] == "POST" => "/" + string.Join('/', path.Split('/').Take(3).Skip(1)),
            _ => path,
        };
        return (new HttpMethod(parts[0]), path, snapshot);
    }

    private static readonly string TooLong = new('n', 256);

    public static TheoryData<string, string, int> HostileBodies()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var endpoint in Endpoints)
        {
            data.Add(endpoint, "{\"no_such_field\": 1}", 422);
            data.Add(endpoint, "[]", 400);
            data.Add(endpoint, "\"a string\"", 400);
            data.Add(endpoint, "{\"name\": \"trunc", 400);
            data.Add(endpoint, "", 400);
            data.Add(endpoint, new string('[', 5000) + new string(']', 5000), 400);
            data.Add(endpoint, "{\"name\": \"a\", \"name\": \"b\"}", 422);
        }
        return data;
    }

    private async Task<string> SnapshotAsync(HttpClient admin, string path) =>
        (await admin.GetJsonAsync(path)).Expect(HttpStatusCode.OK).GetRawText();

    private async Task AssertRefusedAndUnchangedAsync(string endpoint, HttpContent content, int expected)
    {
        using var admin = await AdminAsync();
        var (method, path, snapshotPath) = Resolve(endpoint);
        var before = await SnapshotAsync(admin, snapshotPath);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{endpoint}: expected {expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.StartsWith("urn:ravioli:problem:", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.Equal(before, await SnapshotAsync(admin, snapshotPath));
    }

    private HttpClient? _admin;

    private async Task<HttpClient> AdminAsync() => _admin ??= await world.AdminClientAsync();

    [Theory]
    [MemberData(nameof(HostileBodies))]
    public async Task Hostile_json_is_refused_with_a_problem_and_changes_nothing(string endpoint, string body, int expected)
    {
        await AssertRefusedAndUnchangedAsync(endpoint, new StringContent(body, Encoding.UTF8, "application/json"), expected);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Invalid_utf8_is_a_400(string endpoint)
    {
        var bytes = new byte[] { (byte)'{', (byte)'"', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, 0xFF, (byte)'"', (byte)'}' };
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        await AssertRefusedAndUnchangedAsync(endpoint, content, 400);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Wrong_content_type_is_a_415(string endpoint)
    {
        await AssertRefusedAndUnchangedAsync(endpoint, new StringContent("{\"name\":\"x\"}", Encoding.UTF8, "text/plain"), 415);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Oversized_body_is_a_413(string endpoint)
    {
        var huge = "{\"name\": \"" + new string('x', 1_100_000) + "\"}";
        await AssertRefusedAndUnchangedAsync(endpoint, new StringContent(huge, Encoding.UTF8, "application/json"), 413);
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { "POST /v3/organizations", "{\"name\": 42}", "name" },
        { "POST /v3/service_brokers", "{\"name\": \"b\", \"url\": 5}", "url" },
        { "POST /v3/service_instances", "{\"type\": \"managed\", \"name\": \"x\", \"tags\": \"not-a-list\"}", "tags" },
        { "POST /v3/service_instances", "{\"type\": \"user-provided\", \"name\": \"x\", \"credentials\": [1]}", "credentials" },
        { "POST /v3/service_credential_bindings", "{\"type\": \"key\", \"name\": \"k\", \"parameters\": \"x\"}", "parameters" },
        { "POST /v3/organizations", "{\"name\": \"x\", \"suspended\": \"yes\"}", "suspended" },
        { "PATCH /v3/organizations/{org}", "{\"name\": [\"x\"]}", "name" },
        { "POST /v3/spaces", "{\"name\": \"x\", \"relationships\": {\"organization\": {\"data\": {\"guid\": 7}}}}", "relationships.organization.data.guid" },
        { "PATCH /v3/spaces/{space}", "{\"name\": {}}", "name" },
        { "POST /v3/users", "{\"username\": \"x\", \"password\": 12345678}", "password" },
        { "PATCH /v3/users/{user}", "{\"admin\": \"true\"}", "admin" },
        { "POST /v3/roles", "{\"type\": 1}", "type" },
        { "POST /v3/organization_quotas", "{\"name\": \"x\", \"apps\": {\"total_memory_in_mb\": \"lots\"}}", "apps.total_memory_in_mb" },
        { "POST /v3/organization_quotas", "{\"name\": \"x\", \"apps\": {\"total_instances\": 99999999999999}}", "apps.total_instances" },
        { "POST /v3/organization_quotas", "{\"name\": \"x\", \"apps\": {\"total_apps\": 1.5}}", "apps.total_apps" },
        { "PATCH /v3/organization_quotas/{quota}", "{\"routes\": {\"total_routes\": true}}", "routes.total_routes" },
        { "POST /v3/organization_quotas/{quota}/relationships/organizations", "{\"data\": {\"guid\": \"x\"}}", "data" },
        { "POST /v3/apps", "{\"name\": \"x\", \"environment_variables\": {\"A\": 1}}", "environment_variables.A" },
        { "PATCH /v3/apps/{app}", "{\"lifecycle\": {\"data\": {\"buildpacks\": \"node\"}}}", "lifecycle.data.buildpacks" },
        { "PATCH /v3/apps/{app}/environment_variables", "{\"var\": {\"A\": {\"nested\": true}}}", "var.A" },
        { "PATCH /v3/processes/{app}", "{\"command\": 5}", "command" },
        { "POST /v3/processes/{app}/actions/scale", "{\"instances\": \"many\"}", "instances" },
        { "POST /v3/processes/{app}/actions/scale", "{\"memory_in_mb\": 1e400}", "memory_in_mb" },
        { "PATCH /v3/apps/{app}/relationships/current_droplet", "{\"data\": \"x\"}", "data" },
        { "POST /v3/domains", "{\"name\": false}", "name" },
        { "POST /v3/routes", "{\"host\": [], \"relationships\": {}}", "host" },
        { "POST /v3/routes/{route}/destinations", "{\"destinations\": {\"app\": {}}}", "destinations" },
        { "POST /v3/packages", "{\"type\": 7}", "type" },
        { "POST /v3/builds", "{\"package\": \"guid\"}", "package" },
        { "POST /v3/apps/{app}/tasks", "{\"command\": [\"ls\"]}", "command" },
        { "POST /v3/buildpacks", "{\"name\": \"x\", \"position\": \"first\"}", "position" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Wrong_types_are_a_422_naming_the_field(string endpoint, string body, string field)
    {
        using var admin = await AdminAsync();
        var (method, path, _) = Resolve(endpoint);
        var (status, problem) = await admin.SendAsync(method, path, body);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{endpoint} {body}: {(int)status} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
    }

    [Fact]
    public async Task Unknown_nested_field_is_named_with_its_path()
    {
        using var admin = await AdminAsync();
        var (status, problem) = await admin.PostJsonAsync("/v3/spaces", new { name = "x", relationships = new { organization = new { data = new { guid = world.Org, extra = 1 } } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("relationships.organization.data.extra", out _), problem.ToString());
    }

    public static TheoryData<string, string, string> MissingOrInvalidFields => new()
    {
        { "POST /v3/organizations", "{}", "name" },
        { "POST /v3/organizations", "{\"name\": \"   \"}", "name" },
        { "POST /v3/organizations", $"{{\"name\": \"{new string('n', 256)}\"}}", "name" },
        { "POST /v3/organizations", "{\"name\": \"tab\\there\"}", "name" },
        { "PATCH /v3/organizations/{org}", $"{{\"name\": \"{new string('n', 256)}\"}}", "name" },
        { "POST /v3/spaces", "{\"name\": \"x\"}", "relationships.organization.data.guid" },
        { "POST /v3/spaces", "{\"relationships\": {\"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "name" },
        { "POST /v3/spaces", $"{{\"name\": \"{new string('n', 256)}\", \"relationships\": {{\"organization\": {{\"data\": {{\"guid\": \"{{org}}\"}}}}}}}}", "name" },
        { "POST /v3/spaces", "{\"name\": \"x\", \"relationships\": {\"organization\": {\"data\": {\"guid\": \"no-such-org\"}}}}", "relationships.organization.data.guid" },
        { "PATCH /v3/spaces/{space}", "{\"name\": \"\"}", "name" },
        { "POST /v3/users", "{\"password\": \"long-enough\"}", "username" },
        { "POST /v3/users", "{\"username\": \"x\"}", "password" },
        { "POST /v3/users", "{\"username\": \"x\", \"password\": \"short\"}", "password" },
        { "POST /v3/users", $"{{\"username\": \"{new string('u', 256)}\", \"password\": \"long-enough\"}}", "username" },
        { "POST /v3/users", "{\"username\": \"<script>alert(1)</script>\", \"password\": \"long-enough\"}", "username" },
        { "POST /v3/users", "{\"username\": \"x' OR '1'='1\", \"password\": \"long-enough\"}", "username" },
        { "PATCH /v3/users/{user}", "{\"password\": \"short\"}", "password" },
        { "POST /v3/roles", "{\"type\": \"emperor\", \"relationships\": {\"user\": {\"data\": {\"username\": \"victim\"}}, \"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "type" },
        { "POST /v3/roles", "{\"type\": \"space_developer\", \"relationships\": {\"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "relationships.user.data" },
        { "POST /v3/roles", "{\"type\": \"organization_manager\", \"relationships\": {\"user\": {\"data\": {\"username\": \"nobody-at-all\"}}, \"organization\": {\"data\": {\"guid\": \"{org}\"}}}}", "relationships.user.data.username" },
        { "POST /v3/organization_quotas", "{\"name\": \"neg\", \"apps\": {\"total_memory_in_mb\": -1}}", "apps.total_memory_in_mb" },
        { "POST /v3/organization_quotas", "{\"name\": \"neg\", \"routes\": {\"total_routes\": -5}}", "routes.total_routes" },
        { "PATCH /v3/organization_quotas/{quota}", "{\"apps\": {\"total_instances\": -2147483648}}", "apps.total_instances" },
        { "POST /v3/organization_quotas/{quota}/relationships/organizations", "{\"data\": []}", "data" },
        { "POST /v3/organization_quotas/{quota}/relationships/organizations", "{\"data\": [{\"guid\": \"no-such-org\"}]}", "data[0].guid" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"environment_variables\": {\"PORT\": \"1\"}}", "environment_variables.PORT" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"environment_variables\": {\"1BAD\": \"1\"}}", "environment_variables.1BAD" },
        { "POST /v3/apps", "{\"name\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}, \"lifecycle\": {\"type\": \"docker\"}}", "lifecycle.type" },
        { "POST /v3/apps", "{\"name\": \"x\"}", "relationships.space.data.guid" },
        { "PATCH /v3/apps/{app}", $"{{\"name\": \"{new string('n', 256)}\"}}", "name" },
        { "PATCH /v3/apps/{app}/environment_variables", "{\"var\": {\"VCAP_SERVICES\": \"{}\"}}", "var.VCAP_SERVICES" },
        { "PATCH /v3/apps/{app}/environment_variables", "{}", "var" },
        { "POST /v3/processes/{app}/actions/scale", "{\"instances\": -1}", "instances" },
        { "POST /v3/processes/{app}/actions/scale", "{\"instances\": 2147483647}", "instances" },
        { "POST /v3/processes/{app}/actions/scale", "{\"disk_in_mb\": 0}", "disk_in_mb" },
        { "PATCH /v3/processes/{app}", "{\"health_check\": {\"type\": \"ping\"}}", "health_check.type" },
        { "PATCH /v3/apps/{app}/relationships/current_droplet", "{\"data\": {\"guid\": \"nope\"}}", "data.guid" },
        { "POST /v3/domains", $"{{\"name\": \"{new string('d', 250)}.com\"}}", "name" },
        { "POST /v3/routes", "{\"host\": \"x\", \"relationships\": {\"space\": {\"data\": {\"guid\": \"{space}\"}}}}", "relationships.domain.data.guid" },
        { "POST /v3/routes", $"{{\"host\": \"{new string('h', 64)}\", \"relationships\": {{}}}}", "host" },
        { "POST /v3/routes/{route}/destinations", "{\"destinations\": []}", "destinations" },
        { "POST /v3/routes/{route}/destinations", "{\"destinations\": [{\"app\": {\"guid\": \"ghost\"}}]}", "destinations[0].app.guid" },
        { "POST /v3/packages", "{\"type\": \"docker\", \"relationships\": {\"app\": {\"data\": {\"guid\": \"x\"}}}}", "type" },
        { "POST /v3/packages", "{\"type\": \"bits\"}", "relationships.app.data.guid" },
        { "POST /v3/builds", "{}", "package.guid" },
        { "POST /v3/apps/{app}/tasks", "{}", "command" },
        { "POST /v3/apps/{app}/tasks", "{\"command\": \"ls\", \"memory_in_mb\": 0}", "memory_in_mb" },
        { "POST /v3/apps/{app}/tasks", $"{{\"command\": \"ls\", \"name\": \"{new string('t', 256)}\"}}", "name" },
        { "POST /v3/buildpacks", "{\"name\": \"binary_buildpack\"}", "name" },
    };

    [Theory]
    [MemberData(nameof(MissingOrInvalidFields))]
    public async Task Missing_or_invalid_fields_are_a_422_naming_the_field(string endpoint, string body, string field)
    {
        using var admin = await AdminAsync();
        var (method, path, snapshotPath) = Resolve(endpoint);
        var before = await SnapshotAsync(admin, snapshotPath);
        body = body.Replace("{org}", world.Org).Replace("{space}", world.Space);
        var (status, problem) = await admin.SendAsync(method, path, body);
        Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{endpoint} {body}: {(int)status} {problem}");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        Assert.Equal(before, await SnapshotAsync(admin, snapshotPath));
    }

    [Fact]
    public async Task Duplicate_names_in_the_same_scope_are_422_never_500()
    {
        using var admin = await AdminAsync();
        (await admin.PostJsonAsync("/v3/organizations", new { name = "bad-input-org" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = world.Org } } } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/users", new { username = "VICTIM", password = "long-enough" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/organization_quotas", new { name = "q" })).Expect(HttpStatusCode.UnprocessableEntity);
        (await admin.PostJsonAsync("/v3/apps", new { name = "a", relationships = new { space = new { data = new { guid = world.Space } } } })).Expect(HttpStatusCode.UnprocessableEntity);
        var role = new { type = "organization_auditor", relationships = new { user = new { data = new { guid = world.User } }, organization = new { data = new { guid = world.Org } } } };
        (await admin.PostJsonAsync("/v3/roles", role)).Expect(HttpStatusCode.Created);
        (await admin.PostJsonAsync("/v3/roles", role)).Expect(HttpStatusCode.UnprocessableEntity);
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("per_page=5001")]
    [InlineData("per_page=-1")]
    [InlineData("page=abc")]
    [InlineData("order_by=password_hash")]
    [InlineData("no_such_filter=1")]
    public async Task Bad_list_parameters_are_a_422_naming_the_parameter(string query)
    {
        using var admin = await AdminAsync();
        var (status, problem) = await admin.GetJsonAsync("/v3/organizations?" + query);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(query.Split('=')[0], out _), problem.ToString());
    }

    [Fact]
    public async Task Sql_and_html_looking_values_are_stored_verbatim_not_interpreted()
    {
        using var admin = await AdminAsync();
        const string name = "Robert'); DROP TABLE organizations;-- <b>bold</b>";
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name })).Expect(HttpStatusCode.Created);
        Assert.Equal(name, org.GetProperty("name").GetString());
        var listed = (await admin.GetJsonAsync("/v3/organizations?names=" + Uri.EscapeDataString(name))).Expect(HttpStatusCode.OK);
        Assert.Equal(1, listed.GetProperty("pagination").GetProperty("total_results").GetInt32());
    }
}
