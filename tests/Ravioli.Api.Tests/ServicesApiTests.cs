using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Api.Brokering;
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Testing;
using Xunit;

namespace Ravioli.Api.Tests;

/// <summary>A control plane with short broker timeouts, and a test broker registered and enabled for everyone.</summary>
public sealed class ServicesFixture : RavioliServerFixture
{
    public TestBroker Broker { get; } = new() { Offering = "testdb" };
    public string BrokerGuid { get; private set; } = "";

    protected override void Configure(WebApplicationBuilder builder) =>
        builder.Services.AddSingleton(new OsbClientOptions { RequestTimeout = TimeSpan.FromSeconds(2) });

    public override async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        await base.InitializeAsync();
        using var admin = await AdminClientAsync();
        BrokerGuid = (await admin.PostJsonAsync("/v3/service_brokers", BrokerBody("test-broker", Broker.Url))).Expect(HttpStatusCode.Created).Guid();
        var plans = (await admin.GetJsonAsync($"/v3/service_plans?service_broker_guids={BrokerGuid}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        foreach (var plan in plans.EnumerateArray())
        {
            (await admin.PatchJsonAsync($"/v3/service_plans/{plan.Guid()}/visibility", new { type = "public" })).Expect(HttpStatusCode.OK);
        }
    }

    public static object BrokerBody(string name, string url, string password = TestBroker.Password, string? space = null) => space is null
        ? new { name, url, authentication = new { type = "basic", credentials = new { username = TestBroker.Username, password } } }
        : new { name, url, authentication = new { type = "basic", credentials = new { username = TestBroker.Username, password } }, relationships = new { space = new { data = new { guid = space } } } };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Broker.DisposeAsync();
    }
}

/// <summary>The marketplace over the real API: brokers, access, instances, bindings, keys, VCAP_SERVICES and broker failures.</summary>
public sealed class ServicesApiTests(ServicesFixture server) : IClassFixture<ServicesFixture>
{
    private static object Ref(string guid) => new { data = new { guid } };

    private TestBroker Broker => server.Broker;

    private sealed record World(HttpClient Admin, string Org, string Space, string App, string Suffix) : IDisposable
    {
        public void Dispose() => Admin.Dispose();
    }

    private async Task<World> WorldAsync()
    {
        var admin = await server.AdminClientAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var org = (await admin.PostJsonAsync("/v3/organizations", new { name = "svc-" + suffix })).Expect(HttpStatusCode.Created).Guid();
        var space = (await admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = Ref(org) } })).Expect(HttpStatusCode.Created).Guid();
        var app = (await admin.PostJsonAsync("/v3/apps", new { name = "app-" + suffix, relationships = new { space = Ref(space) } })).Expect(HttpStatusCode.Created).Guid();
        return new World(admin, org, space, app, suffix);
    }

    private async Task<string> PlanAsync(HttpClient client, string name)
    {
        var plans = (await client.GetJsonAsync($"/v3/service_plans?names={name}&service_broker_guids={server.BrokerGuid}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        return plans[0].Guid();
    }

    private static async Task<JsonElement> WaitAsync(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var (status, body) = await client.GetJsonAsync(path);
            if (status == HttpStatusCode.NotFound)
            {
                return body;
            }
            Assert.Equal(HttpStatusCode.OK, status);
            if (body.GetProperty("last_operation").GetProperty("state").GetString() != "in progress")
            {
                return body;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{path} stayed in progress: {body}");
            await Task.Delay(100);
        }
    }

    private async Task<JsonElement> CreateInstanceAsync(World w, string plan, string name, object? parameters = null)
    {
        var created = (await w.Admin.PostJsonAsync("/v3/service_instances", new
        {
            type = "managed",
            name,
            relationships = new { space = Ref(w.Space), service_plan = Ref(await PlanAsync(w.Admin, plan)) },
            parameters = parameters ?? new { size = "s" },
            tags = new[] { "mine" },
        })).Expect(HttpStatusCode.Accepted);
        Assert.Equal("in progress", created.GetProperty("last_operation").GetProperty("state").GetString());
        return await WaitAsync(w.Admin, $"/v3/service_instances/{created.Guid()}");
    }

    private async Task<JsonElement> BindAsync(World w, string instance, string? name = null)
    {
        var created = (await w.Admin.PostJsonAsync("/v3/service_credential_bindings", new
        {
            type = "app",
            name,
            relationships = new { service_instance = Ref(instance), app = Ref(w.App) },
        })).Expect(HttpStatusCode.Accepted);
        return await WaitAsync(w.Admin, $"/v3/service_credential_bindings/{created.Guid()}");
    }

    private static string State(JsonElement resource) => resource.GetProperty("last_operation").GetProperty("state").GetString()!;

    private static string Description(JsonElement resource) => resource.GetProperty("last_operation").GetProperty("description").GetString() ?? "";

    [Fact]
    public async Task Registering_a_broker_stores_its_catalog_with_plans_disabled_until_an_admin_enables_them()
    {
        using var admin = await server.AdminClientAsync();
        await using var other = new TestBroker { Catalog = TestBroker.DefaultCatalog("otherdb") };
        await other.InitializeAsync();
        var broker = (await admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody("other-" + Guid.NewGuid().ToString("N")[..6], other.Url))).Expect(HttpStatusCode.Created);
        Assert.False(broker.ToString().Contains(TestBroker.Password, StringComparison.Ordinal));
        var offering = (await admin.GetJsonAsync($"/v3/service_offerings?service_broker_guids={broker.Guid()}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0];
        Assert.Equal("otherdb", offering.GetProperty("name").GetString());
        Assert.True(offering.GetProperty("broker_catalog").GetProperty("features").GetProperty("plan_updateable").GetBoolean());
        Assert.Equal("https://example.com/testdb", offering.GetProperty("documentation_url").GetString());
        var plans = (await admin.GetJsonAsync($"/v3/service_plans?service_broker_guids={broker.Guid()}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.Equal(4, plans.GetArrayLength());
        Assert.All(plans.EnumerateArray(), p => Assert.Equal("admin", p.GetProperty("visibility_type").GetString()));
        // The broker saw the OSB headers and our basic auth.
        var catalogCall = other.RequestsTo("GET", "/v2/catalog").Single();
        Assert.Equal("2.17", catalogCall.Headers["X-Broker-API-Version"]);
        Assert.True(Guid.TryParse(catalogCall.Headers["X-Broker-API-Request-Identity"], out _));

        // A developer sees nothing of it until access is enabled for their org, then only that.
        using var w = await WorldAsync();
        (await admin.PostJsonAsync("/v3/users", new { username = "dev-" + w.Suffix, password = "password-" + w.Suffix })).Expect(HttpStatusCode.Created);
        var user = (await admin.GetJsonAsync($"/v3/users?usernames=dev-{w.Suffix}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await admin.PostJsonAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(user), organization = Ref(w.Org) } })).Expect(HttpStatusCode.Created);
        using var dev = await server.LoginAsync("dev-" + w.Suffix, "password-" + w.Suffix);
        Assert.Equal(0, (await dev.GetJsonAsync($"/v3/service_offerings?service_broker_guids={broker.Guid()}")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32());
        var small = plans.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "small").Guid();
        (await dev.PatchJsonAsync($"/v3/service_plans/{small}/visibility", new { type = "public" })).Expect(HttpStatusCode.NotFound);
        var visibility = (await admin.PostJsonAsync($"/v3/service_plans/{small}/visibility", new { type = "organization", organizations = new[] { new { guid = w.Org } } })).Expect(HttpStatusCode.OK);
        Assert.Equal(w.Org, visibility.GetProperty("organizations")[0].Guid());
        var seen = (await dev.GetJsonAsync($"/v3/service_plans?service_broker_guids={broker.Guid()}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.Equal(["small"], seen.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        (await dev.PatchJsonAsync($"/v3/service_plans/{small}/visibility", new { type = "public" })).Expect(HttpStatusCode.Forbidden);
        (await admin.DeleteJsonAsync($"/v3/service_plans/{small}/visibility/{w.Org}")).Expect(HttpStatusCode.NoContent);
        Assert.Equal("admin", (await admin.GetJsonAsync($"/v3/service_plans/{small}")).Expect(HttpStatusCode.OK).GetProperty("visibility_type").GetString());
        (await dev.GetJsonAsync($"/v3/service_plans/{small}")).Expect(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Only_admins_register_global_brokers_and_bad_brokers_are_refused_with_the_reason()
    {
        using var w = await WorldAsync();
        var name = "bad-" + w.Suffix;
        // Wrong credentials: the broker answers 401, and we say so.
        var problem = (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, Broker.Url, "wrong-password"))).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("401", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Nobody listening.
        problem = (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, "http://127.0.0.1:9"))).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("127.0.0.1:9", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // An invalid catalog: every problem named.
        await using var broken = new TestBroker { Catalog = new System.Text.Json.Nodes.JsonObject { ["services"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["id"] = "x", ["name"] = "x" }) } };
        await broken.InitializeAsync();
        problem = (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, broken.Url))).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").GetProperty("catalog").GetArrayLength() >= 2, problem.ToString());
        // Bad URLs never reach a broker.
        (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, "ftp://x"))).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, "http://user:pw@host"))).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(new string('n', 256), Broker.Url))).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(0, (await w.Admin.GetJsonAsync($"/v3/service_brokers?names={name}")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32());

        // A space developer may not register a global broker, but may register one for their space, seen there only.
        (await w.Admin.PostJsonAsync("/v3/users", new { username = "sd-" + w.Suffix, password = "password-" + w.Suffix })).Expect(HttpStatusCode.Created);
        var user = (await w.Admin.GetJsonAsync($"/v3/users?usernames=sd-{w.Suffix}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await w.Admin.PostJsonAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(user), organization = Ref(w.Org) } })).Expect(HttpStatusCode.Created);
        (await w.Admin.PostJsonAsync("/v3/roles", new { type = "space_developer", relationships = new { user = Ref(user), space = Ref(w.Space) } })).Expect(HttpStatusCode.Created);
        using var dev = await server.LoginAsync("sd-" + w.Suffix, "password-" + w.Suffix);
        (await dev.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, Broker.Url))).Expect(HttpStatusCode.Forbidden);
        await using var scoped = new TestBroker { Catalog = TestBroker.DefaultCatalog("scoped-" + w.Suffix) };
        await scoped.InitializeAsync();
        var broker = (await dev.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody(name, scoped.Url, space: w.Space))).Expect(HttpStatusCode.Created);
        Assert.Equal(w.Space, broker.GetProperty("relationships").GetProperty("space").GetProperty("data").Guid());
        var plans = (await dev.GetJsonAsync($"/v3/service_plans?service_broker_guids={broker.Guid()}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        Assert.All(plans.EnumerateArray(), p => Assert.Equal("space", p.GetProperty("visibility_type").GetString()));
        Assert.Equal(4, plans.GetArrayLength());
        // Someone in another org sees neither the broker nor its plans.
        using var other = await WorldAsync();
        (await other.Admin.PostJsonAsync("/v3/users", new { username = "o-" + other.Suffix, password = "password-" + other.Suffix })).Expect(HttpStatusCode.Created);
        var otherUser = (await other.Admin.GetJsonAsync($"/v3/users?usernames=o-{other.Suffix}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await other.Admin.PostJsonAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(otherUser), organization = Ref(other.Org) } })).Expect(HttpStatusCode.Created);
        (await other.Admin.PostJsonAsync("/v3/roles", new { type = "space_developer", relationships = new { user = Ref(otherUser), space = Ref(other.Space) } })).Expect(HttpStatusCode.Created);
        using var stranger = await server.LoginAsync("o-" + other.Suffix, "password-" + other.Suffix);
        (await stranger.GetJsonAsync($"/v3/service_brokers/{broker.Guid()}")).Expect(HttpStatusCode.NotFound);
        Assert.Equal(0, (await stranger.GetJsonAsync($"/v3/service_plans?service_broker_guids={broker.Guid()}")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32());
        var foreignPlan = plans[0].Guid();
        var refused = (await stranger.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "x", relationships = new { space = Ref(other.Space), service_plan = Ref(foreignPlan) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);
        Assert.True(refused.GetProperty("errors").TryGetProperty("relationships.service_plan.data.guid", out _));
        // The space cannot be deleted while its broker is registered.
        (await w.Admin.DeleteJsonAsync($"/v3/spaces/{w.Space}")).Expect(HttpStatusCode.UnprocessableEntity);
        (await dev.DeleteJsonAsync($"/v3/service_brokers/{broker.Guid()}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_synchronous_instance_binds_and_its_credentials_reach_vcap_services_in_cloud_foundrys_format()
    {
        using var w = await WorldAsync();
        var instance = await CreateInstanceAsync(w, "small", "db-" + w.Suffix);
        Assert.Equal("succeeded", State(instance));
        Assert.Equal($"https://dashboard.example.com/{instance.Guid()}", instance.GetProperty("dashboard_url").GetString());
        Assert.Equal("testdb", instance.GetProperty("service_offering").GetProperty("name").GetString());

        var provision = Broker.RequestsTo("PUT", $"/v2/service_instances/{instance.Guid()}").Single();
        Assert.Equal("true", provision.Query["accepts_incomplete"]);
        Assert.Equal(TestBroker.ServiceId, provision.Body!["service_id"]!.GetValue<string>());
        Assert.Equal(w.Org, provision.Body["organization_guid"]!.GetValue<string>());
        Assert.Equal("cloudfoundry", provision.Body["context"]!["platform"]!.GetValue<string>());
        Assert.Equal("db-" + w.Suffix, provision.Body["context"]!["instance_name"]!.GetValue<string>());
        Assert.Equal("s", provision.Body["parameters"]!["size"]!.GetValue<string>());
        var identity = provision.Headers["X-Broker-API-Originating-Identity"].Split(' ');
        Assert.Equal("cloudfoundry", identity[0]);
        Assert.Contains("user_id", Encoding.UTF8.GetString(Convert.FromBase64String(identity[1])), StringComparison.Ordinal);

        var binding = await BindAsync(w, instance.Guid(), "primary");
        Assert.Equal("succeeded", State(binding));
        var env = (await w.Admin.GetJsonAsync($"/v3/apps/{w.App}/env")).Expect(HttpStatusCode.OK);
        var entry = env.GetProperty("system_env_json").GetProperty("VCAP_SERVICES").GetProperty("testdb")[0];
        Assert.Equal("primary", entry.GetProperty("name").GetString());
        Assert.Equal("primary", entry.GetProperty("binding_name").GetString());
        Assert.Equal(binding.Guid(), entry.GetProperty("binding_guid").GetString());
        Assert.Equal(instance.Guid(), entry.GetProperty("instance_guid").GetString());
        Assert.Equal("db-" + w.Suffix, entry.GetProperty("instance_name").GetString());
        Assert.Equal("testdb", entry.GetProperty("label").GetString());
        Assert.Equal("small", entry.GetProperty("plan").GetString());
        Assert.Equal(["sql", "test", "mine"], entry.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal($"pw-{binding.Guid()}", entry.GetProperty("credentials").GetProperty("password").GetString());
        Assert.Equal(JsonValueKind.Array, entry.GetProperty("volume_mounts").ValueKind);
        Assert.True(entry.TryGetProperty("syslog_drain_url", out _) && entry.TryGetProperty("provider", out _));
        Assert.Equal(w.App, Broker.Bindings[binding.Guid()]["bind_resource"]!["app_guid"]!.GetValue<string>());

        // Credentials are sealed at rest and never in audit events.
        using (var scope = server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var row = await db.ServiceBindings.AsNoTracking().SingleAsync(b => b.Guid == binding.Guid());
            Assert.DoesNotContain($"pw-{binding.Guid()}", row.Credentials, StringComparison.Ordinal);
            var broker = await db.ServiceBrokers.AsNoTracking().SingleAsync(b => b.Guid == server.BrokerGuid);
            Assert.DoesNotContain(TestBroker.Password, broker.Password, StringComparison.Ordinal);
            var events = await db.AuditEvents.AsNoTracking().Select(e => e.Data).ToListAsync();
            Assert.DoesNotContain(events, e => e.Contains($"pw-{binding.Guid()}", StringComparison.Ordinal) || e.Contains(TestBroker.Password, StringComparison.Ordinal));
        }
        var types = (await w.Admin.GetJsonAsync($"/v3/audit_events?target_guids={instance.Guid()},{binding.Guid()}")).Expect(HttpStatusCode.OK)
            .GetProperty("resources").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Contains("audit.service_instance.create", types);
        Assert.Contains("audit.service_binding.create", types);

        // The same app binds an instance once.
        var twice = (await w.Admin.PostJsonAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(instance.Guid()), app = Ref(w.App) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("already bound", twice.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A service key: its own binding, its credentials in details.
        var key = (await w.Admin.PostJsonAsync("/v3/service_credential_bindings", new { type = "key", name = "k1", relationships = new { service_instance = Ref(instance.Guid()) } })).Expect(HttpStatusCode.Accepted);
        key = await WaitAsync(w.Admin, $"/v3/service_credential_bindings/{key.Guid()}");
        var details = (await w.Admin.GetJsonAsync($"/v3/service_credential_bindings/{key.Guid()}/details")).Expect(HttpStatusCode.OK);
        Assert.Equal($"pw-{key.Guid()}", details.GetProperty("credentials").GetProperty("password").GetString());
        Assert.Null(Broker.Bindings[key.Guid()]["bind_resource"]);

        // Deleting the instance is refused while bound, naming the app and the key.
        var refused = (await w.Admin.DeleteJsonAsync($"/v3/service_instances/{instance.Guid()}")).Expect(HttpStatusCode.UnprocessableEntity);
        var detail = refused.GetProperty("detail").GetString()!;
        Assert.Contains("app-" + w.Suffix, detail, StringComparison.Ordinal);
        Assert.Contains("k1", detail, StringComparison.Ordinal);

        (await w.Admin.DeleteJsonAsync($"/v3/service_credential_bindings/{binding.Guid()}")).Expect(HttpStatusCode.Accepted);
        (await w.Admin.DeleteJsonAsync($"/v3/service_credential_bindings/{key.Guid()}")).Expect(HttpStatusCode.Accepted);
        (await WaitAsync(w.Admin, $"/v3/service_credential_bindings/{binding.Guid()}")).GetProperty("status").GetInt32().Equals(404);
        await WaitAsync(w.Admin, $"/v3/service_credential_bindings/{key.Guid()}");
        Assert.False(Broker.Bindings.ContainsKey(binding.Guid()));
        Assert.Equal("{}", (await w.Admin.GetJsonAsync($"/v3/apps/{w.App}/env")).Expect(HttpStatusCode.OK).GetProperty("system_env_json").GetProperty("VCAP_SERVICES").GetRawText());

        (await w.Admin.DeleteJsonAsync($"/v3/service_instances/{instance.Guid()}")).Expect(HttpStatusCode.Accepted);
        await WaitAsync(w.Admin, $"/v3/service_instances/{instance.Guid()}");
        (await w.Admin.GetJsonAsync($"/v3/service_instances/{instance.Guid()}")).Expect(HttpStatusCode.NotFound);
        Assert.False(Broker.Instances.ContainsKey(instance.Guid()));
        var deprovision = Broker.RequestsTo("DELETE", $"/v2/service_instances/{instance.Guid()}").Single(r => r.Path == $"/v2/service_instances/{instance.Guid()}");
        Assert.Equal((TestBroker.ServiceId, TestBroker.SmallPlanId), (deprovision.Query["service_id"], deprovision.Query["plan_id"]));
    }

    [Fact]
    public async Task Asynchronous_operations_are_polled_to_the_end_including_an_async_bind_whose_credentials_are_fetched()
    {
        using var w = await WorldAsync();
        var instance = await CreateInstanceAsync(w, "large", "adb-" + w.Suffix);
        Assert.Equal("succeeded", State(instance));
        Assert.Equal("provision done", Description(instance));
        var polls = Broker.RequestsTo("GET", $"/v2/service_instances/{instance.Guid()}/last_operation").ToList();
        Assert.True(polls.Count >= 2);
        Assert.Equal($"provision-{instance.Guid()}", polls[0].Query["operation"]);

        var binding = await BindAsync(w, instance.Guid());
        Assert.Equal("succeeded", State(binding));
        Assert.Single(Broker.RequestsTo("GET", $"/v2/service_instances/{instance.Guid()}/service_bindings/{binding.Guid()}"), r => !r.Path.EndsWith("last_operation", StringComparison.Ordinal));
        var details = (await w.Admin.GetJsonAsync($"/v3/service_credential_bindings/{binding.Guid()}/details")).Expect(HttpStatusCode.OK);
        Assert.Equal($"pw-{binding.Guid()}", details.GetProperty("credentials").GetProperty("password").GetString());

        // Update: parameters reach the broker with previous values; the plan change is applied when the broker agrees.
        var small = await PlanAsync(w.Admin, "small");
        var updated = (await w.Admin.PatchJsonAsync($"/v3/service_instances/{instance.Guid()}", new { parameters = new { size = "l" }, relationships = new { service_plan = Ref(small) } }))
            .Expect(HttpStatusCode.Accepted);
        updated = await WaitAsync(w.Admin, $"/v3/service_instances/{updated.Guid()}");
        Assert.Equal(("update", "succeeded"), (updated.GetProperty("last_operation").GetProperty("type").GetString(), State(updated)));
        Assert.Equal(small, updated.GetProperty("relationships").GetProperty("service_plan").GetProperty("data").Guid());
        var patch = Broker.RequestsTo("PATCH", $"/v2/service_instances/{instance.Guid()}").Single();
        Assert.Equal(TestBroker.LargePlanId, patch.Body!["previous_values"]!["plan_id"]!.GetValue<string>());
        Assert.Equal(TestBroker.SmallPlanId, patch.Body["plan_id"]!.GetValue<string>());
        var parameters = (await w.Admin.GetJsonAsync($"/v3/service_instances/{instance.Guid()}/parameters")).Expect(HttpStatusCode.OK);
        Assert.Equal("l", parameters.GetProperty("size").GetString());
    }

    [Fact]
    public async Task A_broker_error_during_provision_fails_the_instance_and_the_platform_cleans_up_after_it()
    {
        using var w = await WorldAsync();
        Broker.Script("provision", 500, "{\"description\": \"disk on fire\"}");
        var failed = await CreateInstanceAsync(w, "small", "boom-" + w.Suffix);
        Assert.Equal("failed", State(failed));
        Assert.Contains("disk on fire", Description(failed), StringComparison.Ordinal);
        // Orphan mitigation: a deprovision follows a 500.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Broker.RequestsTo("DELETE", $"/v2/service_instances/{failed.Guid()}").Any())
        {
            Assert.True(DateTime.UtcNow < deadline, "no orphan-mitigation deprovision was sent");
            await Task.Delay(100);
        }
        // The failed instance can be bound by nobody, and deleted by its owner.
        (await w.Admin.PostJsonAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(failed.Guid()), app = Ref(w.App) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);

        // A broker that hangs past the timeout during bind: failed, and an unbind follows.
        var instance = await CreateInstanceAsync(w, "small", "ok-" + w.Suffix);
        Broker.Script("bind", TestBroker.Hang(TimeSpan.FromSeconds(5)));
        var binding = await BindAsync(w, instance.Guid());
        Assert.Equal("failed", State(binding));
        Assert.Contains("within", Description(binding), StringComparison.Ordinal);
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Broker.RequestsTo("DELETE", $"/v2/service_instances/{instance.Guid()}/service_bindings/{binding.Guid()}").Any())
        {
            Assert.True(DateTime.UtcNow < deadline, "no orphan-mitigation unbind was sent");
            await Task.Delay(100);
        }
        Assert.Equal("{}", (await w.Admin.GetJsonAsync($"/v3/apps/{w.App}/env")).Expect(HttpStatusCode.OK).GetProperty("system_env_json").GetProperty("VCAP_SERVICES").GetRawText());

        // Refusals with an error code keep it in the description and need no clean-up.
        Broker.Script("provision", 422, "{\"error\": \"ConcurrencyError\", \"description\": \"busy\"}");
        var busy = await CreateInstanceAsync(w, "small", "busy-" + w.Suffix);
        Assert.Equal("failed", State(busy));
        Assert.StartsWith("ConcurrencyError", Description(busy), StringComparison.Ordinal);
        await Task.Delay(1000);
        Assert.Empty(Broker.RequestsTo("DELETE", $"/v2/service_instances/{busy.Guid()}"));
    }

    [Fact]
    public async Task An_operation_in_flight_when_the_platform_stopped_is_resumed_and_one_the_broker_never_finishes_fails_after_its_deadline()
    {
        using var w = await WorldAsync();
        var plan = await PlanAsync(w.Admin, "small");
        var ops = server.Services.GetRequiredService<ServiceOperations>();
        // As if the control plane died after committing the row and before calling the broker.
        string guid;
        using (var scope = server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var row = new Store.Entities.ServiceInstanceEntity
            {
                Name = "crashed-" + w.Suffix, SpaceGuid = w.Space, PlanGuid = plan, LastOperationState = OperationStates.InProgress,
                LastOperationCreatedAt = db.UtcNow, LastOperationUpdatedAt = db.UtcNow,
            };
            db.ServiceInstances.Add(row);
            await db.SaveChangesAsync();
            guid = row.Guid;
        }
        ops.Wake();
        var resumed = await WaitAsync(w.Admin, $"/v3/service_instances/{guid}");
        Assert.Equal("succeeded", State(resumed));
        Assert.True(Broker.Instances.ContainsKey(guid));

        // A plan whose broker keeps saying "in progress": failed once its maximum_polling_duration (60 s) is over.
        var slow = (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "slow-" + w.Suffix, relationships = new { space = Ref(w.Space), service_plan = Ref(await PlanAsync(w.Admin, "slow")) } }))
            .Expect(HttpStatusCode.Accepted);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!Broker.RequestsTo("GET", $"/v2/service_instances/{slow.Guid()}/last_operation").Any())
        {
            Assert.True(DateTime.UtcNow < deadline, "never polled");
            await Task.Delay(100);
        }
        Assert.Equal("in progress", State((await w.Admin.GetJsonAsync($"/v3/service_instances/{slow.Guid()}")).Expect(HttpStatusCode.OK)));
        server.Time.Advance(TimeSpan.FromSeconds(61));
        var expired = await WaitAsync(w.Admin, $"/v3/service_instances/{slow.Guid()}");
        Assert.Equal("failed", State(expired));
        Assert.Contains("60 s", Description(expired), StringComparison.Ordinal);
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (Broker.Instances.ContainsKey(slow.Guid()))
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired provision was not cleaned up at the broker");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task User_provided_services_bind_without_a_broker_and_their_credentials_are_for_developers_only()
    {
        using var w = await WorldAsync();
        var ups = (await w.Admin.PostJsonAsync("/v3/service_instances", new
        {
            type = "user-provided", name = "ext-" + w.Suffix, relationships = new { space = Ref(w.Space) },
            credentials = new { uri = "smtp://mail.example.com", password = "ups-secret" }, syslog_drain_url = "syslog://logs.example.com:514", tags = new[] { "mail" },
        })).Expect(HttpStatusCode.Created);
        Assert.Equal("user-provided", ups.GetProperty("type").GetString());
        Assert.DoesNotContain("ups-secret", ups.ToString(), StringComparison.Ordinal);
        var binding = (await w.Admin.PostJsonAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(ups.Guid()), app = Ref(w.App) } })).Expect(HttpStatusCode.Created);
        Assert.Equal("succeeded", State(binding));
        var entry = (await w.Admin.GetJsonAsync($"/v3/apps/{w.App}/env")).Expect(HttpStatusCode.OK).GetProperty("system_env_json").GetProperty("VCAP_SERVICES").GetProperty("user-provided")[0];
        Assert.Equal("ups-secret", entry.GetProperty("credentials").GetProperty("password").GetString());
        Assert.Equal("syslog://logs.example.com:514", entry.GetProperty("syslog_drain_url").GetString());
        Assert.Equal(["mail"], entry.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("plan").ValueKind);

        // Updating the credentials shows on the next start (the env endpoint shows what that start gets).
        (await w.Admin.PatchJsonAsync($"/v3/service_instances/{ups.Guid()}", new { credentials = new { password = "rotated" } })).Expect(HttpStatusCode.OK);
        Assert.Equal("rotated", (await w.Admin.GetJsonAsync($"/v3/service_instances/{ups.Guid()}/credentials")).Expect(HttpStatusCode.OK).GetProperty("password").GetString());

        // An auditor sees the instance but not its credentials.
        (await w.Admin.PostJsonAsync("/v3/users", new { username = "aud-" + w.Suffix, password = "password-" + w.Suffix })).Expect(HttpStatusCode.Created);
        var user = (await w.Admin.GetJsonAsync($"/v3/users?usernames=aud-{w.Suffix}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await w.Admin.PostJsonAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(user), organization = Ref(w.Org) } })).Expect(HttpStatusCode.Created);
        (await w.Admin.PostJsonAsync("/v3/roles", new { type = "space_auditor", relationships = new { user = Ref(user), space = Ref(w.Space) } })).Expect(HttpStatusCode.Created);
        using var auditor = await server.LoginAsync("aud-" + w.Suffix, "password-" + w.Suffix);
        (await auditor.GetJsonAsync($"/v3/service_instances/{ups.Guid()}")).Expect(HttpStatusCode.OK);
        (await auditor.GetJsonAsync($"/v3/service_instances/{ups.Guid()}/credentials")).Expect(HttpStatusCode.Forbidden);
        (await auditor.GetJsonAsync($"/v3/service_credential_bindings/{binding.Guid()}/details")).Expect(HttpStatusCode.Forbidden);
        (await auditor.DeleteJsonAsync($"/v3/service_credential_bindings/{binding.Guid()}")).Expect(HttpStatusCode.Forbidden);
        (await auditor.GetJsonAsync($"/v3/apps/{w.App}/env")).Expect(HttpStatusCode.Forbidden);

        // Deleting the app drops its user-provided bindings.
        (await w.Admin.DeleteJsonAsync($"/v3/apps/{w.App}")).Expect(HttpStatusCode.NoContent);
        (await w.Admin.GetJsonAsync($"/v3/service_credential_bindings/{binding.Guid()}")).Expect(HttpStatusCode.NotFound);
        (await w.Admin.DeleteJsonAsync($"/v3/service_instances/{ups.Guid()}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Other_tenants_cannot_see_or_bind_an_instance_and_quotas_and_names_are_enforced()
    {
        using var w = await WorldAsync();
        var instance = await CreateInstanceAsync(w, "small", "mine-" + w.Suffix);
        using var other = await WorldAsync();
        (await other.Admin.PostJsonAsync("/v3/users", new { username = "x-" + other.Suffix, password = "password-" + other.Suffix })).Expect(HttpStatusCode.Created);
        var user = (await other.Admin.GetJsonAsync($"/v3/users?usernames=x-{other.Suffix}")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await other.Admin.PostJsonAsync("/v3/roles", new { type = "organization_user", relationships = new { user = Ref(user), organization = Ref(other.Org) } })).Expect(HttpStatusCode.Created);
        (await other.Admin.PostJsonAsync("/v3/roles", new { type = "space_developer", relationships = new { user = Ref(user), space = Ref(other.Space) } })).Expect(HttpStatusCode.Created);
        using var stranger = await server.LoginAsync("x-" + other.Suffix, "password-" + other.Suffix);
        (await stranger.GetJsonAsync($"/v3/service_instances/{instance.Guid()}")).Expect(HttpStatusCode.NotFound);
        (await stranger.DeleteJsonAsync($"/v3/service_instances/{instance.Guid()}")).Expect(HttpStatusCode.NotFound);
        (await stranger.PatchJsonAsync($"/v3/service_instances/{instance.Guid()}", new { name = "stolen" })).Expect(HttpStatusCode.NotFound);
        Assert.Equal(0, (await stranger.GetJsonAsync("/v3/service_instances")).Expect(HttpStatusCode.OK).GetProperty("pagination").GetProperty("total_results").GetInt32());
        var refused = (await stranger.PostJsonAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(instance.Guid()), app = Ref(other.App) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);
        Assert.True(refused.GetProperty("errors").TryGetProperty("relationships.service_instance.data.guid", out _));
        // An app of another space cannot bind it, even for an admin.
        (await w.Admin.PostJsonAsync("/v3/service_credential_bindings", new { type = "app", relationships = new { service_instance = Ref(instance.Guid()), app = Ref(other.App) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);

        // Names: unique per space, bounded.
        var dup = (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = "mine-" + w.Suffix, relationships = new { space = Ref(w.Space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("already exists", dup.GetProperty("detail").GetString(), StringComparison.Ordinal);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = new string('n', 256), relationships = new { space = Ref(w.Space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = "t", tags = new[] { new string('t', 2049) }, relationships = new { space = Ref(w.Space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = "p", parameters = new { a = 1 }, relationships = new { space = Ref(w.Space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "c", credentials = new { a = 1 }, relationships = new { space = Ref(w.Space), service_plan = Ref(await PlanAsync(w.Admin, "small")) } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "magic", name = "m", relationships = new { space = Ref(w.Space) } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "np", relationships = new { space = Ref(w.Space), service_plan = Ref("no-such-plan") } })).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "user-provided", name = "u", syslog_drain_url = "javascript:alert(1)", relationships = new { space = Ref(w.Space) } })).Expect(HttpStatusCode.UnprocessableEntity);

        // Quota: total_service_instances counts managed instances in the org.
        var quota = (await w.Admin.PostJsonAsync("/v3/organization_quotas", new { name = "svc-q-" + w.Suffix, services = new { total_service_instances = 1 } })).Expect(HttpStatusCode.Created).Guid();
        (await w.Admin.PostJsonAsync($"/v3/organization_quotas/{quota}/relationships/organizations", new { data = new[] { new { guid = w.Org } } })).Expect(HttpStatusCode.OK);
        var over = (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "second", relationships = new { space = Ref(w.Space), service_plan = Ref(await PlanAsync(w.Admin, "small")) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("svc-q-" + w.Suffix, over.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Neither the space, the org nor the broker can go while the instance exists; a purge by an admin forgets it.
        (await w.Admin.DeleteJsonAsync($"/v3/spaces/{w.Space}")).Expect(HttpStatusCode.UnprocessableEntity);
        (await w.Admin.DeleteJsonAsync($"/v3/organizations/{w.Org}")).Expect(HttpStatusCode.UnprocessableEntity);
        var brokerRefusal = (await w.Admin.DeleteJsonAsync($"/v3/service_brokers/{server.BrokerGuid}")).Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("purge", brokerRefusal.GetProperty("detail").GetString(), StringComparison.Ordinal);
        (await w.Admin.DeleteJsonAsync($"/v3/service_instances/{instance.Guid()}?purge=true")).Expect(HttpStatusCode.NoContent);
        Assert.True(Broker.Instances.ContainsKey(instance.Guid()), "a purge must not call the broker");
        (await w.Admin.DeleteJsonAsync($"/v3/spaces/{w.Space}")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_started_app_gets_its_bindings_in_vcap_services_and_an_update_of_the_catalog_keeps_plans_in_use()
    {
        using var w = await WorldAsync();
        var instance = await CreateInstanceAsync(w, "small", "run-" + w.Suffix);
        await BindAsync(w, instance.Guid());
        using (var scope = server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var runs = scope.ServiceProvider.GetRequiredService<Runs.RunSpecs>();
            var app = await db.Apps.SingleAsync(a => a.Guid == w.App);
            var env = await runs.EnvironmentAsync(db, app, default);
            using var vcap = JsonDocument.Parse(env["VCAP_SERVICES"]);
            Assert.Equal(instance.Guid(), vcap.RootElement.GetProperty("testdb")[0].GetProperty("instance_guid").GetString());
        }

        // A catalog without the plan in use: the plan stays, unavailable; new instances of it are refused.
        await using var changing = new TestBroker();
        await changing.InitializeAsync();
        var broker = (await w.Admin.PostJsonAsync("/v3/service_brokers", ServicesFixture.BrokerBody("chg-" + w.Suffix, changing.Url))).Expect(HttpStatusCode.Created).Guid();
        var plans = (await w.Admin.GetJsonAsync($"/v3/service_plans?service_broker_guids={broker}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        var small = plans.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "small").Guid();
        var largePlan = plans.EnumerateArray().Single(p => p.GetProperty("name").GetString() == "large").Guid();
        var kept = (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "kept-" + w.Suffix, relationships = new { space = Ref(w.Space), service_plan = Ref(small) } })).Expect(HttpStatusCode.Accepted);
        await WaitAsync(w.Admin, $"/v3/service_instances/{kept.Guid()}");
        var catalog = TestBroker.DefaultCatalog(changing.Offering);
        var planList = catalog["services"]![0]!["plans"]!.AsArray();
        planList.RemoveAt(0); // small
        changing.Catalog = catalog;
        (await w.Admin.PatchJsonAsync($"/v3/service_brokers/{broker}", new { url = changing.Url })).Expect(HttpStatusCode.OK);
        Assert.False((await w.Admin.GetJsonAsync($"/v3/service_plans/{small}")).Expect(HttpStatusCode.OK).GetProperty("available").GetBoolean());
        Assert.True((await w.Admin.GetJsonAsync($"/v3/service_plans/{largePlan}")).Expect(HttpStatusCode.OK).GetProperty("available").GetBoolean());
        (await w.Admin.PostJsonAsync("/v3/service_instances", new { type = "managed", name = "new-" + w.Suffix, relationships = new { space = Ref(w.Space), service_plan = Ref(small) } }))
            .Expect(HttpStatusCode.UnprocessableEntity);
        // Rename without touching the broker.
        var renamed = (await w.Admin.PatchJsonAsync($"/v3/service_brokers/{broker}", new { name = "renamed-" + w.Suffix })).Expect(HttpStatusCode.OK);
        Assert.Equal("renamed-" + w.Suffix, renamed.GetProperty("name").GetString());
        (await w.Admin.DeleteJsonAsync($"/v3/service_brokers/{broker}?purge=true")).Expect(HttpStatusCode.NoContent);
        (await w.Admin.GetJsonAsync($"/v3/service_instances/{kept.Guid()}")).Expect(HttpStatusCode.NotFound);
    }
}
