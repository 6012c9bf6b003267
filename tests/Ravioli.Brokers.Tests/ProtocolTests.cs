using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Ravioli.Brokers.Tests;

/// <summary>OSB rules every broker follows: catalog, auth, version header, identities, request validation, 404/410.</summary>
[Collection(BrokersCollection.Name)]
public sealed class ProtocolTests(BrokersFixture fixture)
{
    [Fact]
    public void StartAsync_OffersAllFourBrokers_WithGeneratedCredentials()
    {
        Assert.Equal(["postgresql", "redis", "mariadb", "rabbitmq"], fixture.Brokers.Select(b => b.Name));
        foreach (var broker in fixture.Brokers)
        {
            Assert.Equal($"/brokers/{broker.Name}", broker.PathPrefix);
            Assert.True(broker.Password.Length >= 32);
            Assert.DoesNotContain(broker.Password, broker.ToString());
        }
    }

    [Theory]
    [InlineData("postgresql", new[] { "shared", "dedicated" })]
    [InlineData("redis", new[] { "dedicated", "dedicated-large" })]
    [InlineData("mariadb", new[] { "shared" })]
    [InlineData("rabbitmq", new[] { "shared" })]
    public async Task Catalog_DescribesOneRetrievableServiceWithItsPlans(string broker, string[] plans)
    {
        var reply = await fixture.Client(broker).CatalogAsync();

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var service = Assert.Single(reply.Body!["services"]!.AsArray())!;
        Assert.Equal(broker, service["name"]!.GetValue<string>());
        Assert.True(service["bindable"]!.GetValue<bool>());
        Assert.True(service["instances_retrievable"]!.GetValue<bool>());
        Assert.True(service["bindings_retrievable"]!.GetValue<bool>());
        Assert.Equal(plans, service["plans"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        foreach (var plan in service["plans"]!.AsArray())
        {
            Assert.Equal("http://json-schema.org/draft-04/schema#",
                plan!["schemas"]!["service_instance"]!["create"]!["parameters"]!["$schema"]!.GetValue<string>());
            Assert.False(plan["schemas"]!["service_instance"]!["create"]!["parameters"]!["additionalProperties"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Catalog_OnlyRedisPlansAreUpdateable_AndRedisDeclaresMaxmemoryPolicy()
    {
        var redis = await fixture.Client("redis").CatalogAsync();
        var postgres = await fixture.Client("postgresql").CatalogAsync();

        Assert.True(redis.Body!["services"]![0]!["plan_updateable"]!.GetValue<bool>());
        Assert.False(postgres.Body!["services"]![0]!["plan_updateable"]!.GetValue<bool>());
        Assert.All(postgres.Body!["services"]![0]!["plans"]!.AsArray(), p => Assert.False(p!["plan_updateable"]!.GetValue<bool>()));
        var policy = redis.Body!["services"]![0]!["plans"]![0]!["schemas"]!["service_instance"]!["create"]!["parameters"]!["properties"]!["maxmemory_policy"]!;
        Assert.Contains("allkeys-lru", policy["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("64mb", redis.Body!["services"]![0]!["plans"]![0]!["metadata"]!["maxmemory"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_WithoutCredentials_Is401()
    {
        var client = fixture.Client("mariadb");
        var reply = await new OsbClient(fixture.BaseAddress, client.Broker) { Username = null }.CatalogAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        Assert.Contains("Basic", reply.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Request_WithWrongPasswordOrAnotherBrokersCredentials_Is401()
    {
        var mariadb = fixture.Client("mariadb").Broker;
        var redis = fixture.Client("redis").Broker;

        var wrong = await new OsbClient(fixture.BaseAddress, mariadb) { Password = mariadb.Password + "x" }.CatalogAsync();
        var other = await new OsbClient(fixture.BaseAddress, mariadb) { Username = redis.Username, Password = redis.Password }.CatalogAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, other.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2.12")]
    [InlineData("1.17")]
    [InlineData("3.0")]
    [InlineData("banana")]
    public async Task Request_WithoutOrWithUnsupportedApiVersion_Is412(string? version)
    {
        var reply = await new OsbClient(fixture.BaseAddress, fixture.Client("postgresql").Broker) { Version = version }.CatalogAsync();

        Assert.Equal(HttpStatusCode.PreconditionFailed, reply.Status);
        Assert.Contains("2.17", reply.Description);
    }

    [Fact]
    public async Task Request_WithApiVersion213_IsAccepted_AndRequestIdentityIsEchoed()
    {
        var client = new OsbClient(fixture.BaseAddress, fixture.Client("postgresql").Broker) { Version = "2.13" };
        var reply = await client.SendAsync(HttpMethod.Get, "catalog", headers: new Dictionary<string, string>
        {
            ["X-Broker-API-Request-Identity"] = "e26cea1c-1c43-4cb4-b4e4-e43d2e1b4d61",
            ["X-Broker-API-Originating-Identity"] = "cloudfoundry eyJ1c2VyX2lkIjoiYWxpY2UifQ==",
        });

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("e26cea1c-1c43-4cb4-b4e4-e43d2e1b4d61", reply.Headers.GetValues("X-Broker-API-Request-Identity").Single());
        Assert.Contains(fixture.LogLines, l => l.Contains("e26cea1c-1c43-4cb4-b4e4-e43d2e1b4d61") && l.Contains("cloudfoundry eyJ1c2VyX2lkIjoiYWxpY2UifQ=="));
    }

    [Fact]
    public async Task Provision_WithMalformedBodies_Is400WithADescription()
    {
        var client = fixture.Client("mariadb");
        var (serviceId, plan) = await client.PlanAsync("shared");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();

        var notJson = await client.SendAsync(HttpMethod.Put, $"service_instances/{id}", "{ not json");
        var notObject = await client.SendAsync(HttpMethod.Put, $"service_instances/{id}", "[1,2]");
        var noService = await client.ProvisionAsync(id, new JsonObject { ["plan_id"] = planId });
        var unknownPlan = await client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, "no-such-plan"));
        var unknownService = await client.ProvisionAsync(id, OsbClient.ProvisionBody("no-such-service", planId));
        var wrongType = await client.ProvisionAsync(id, new JsonObject { ["service_id"] = serviceId, ["plan_id"] = planId, ["parameters"] = "x" });
        var unknownParameter = await client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, planId, new JsonObject { ["size"] = 5 }));

        foreach (var reply in new[] { notJson, notObject, noService, unknownPlan, unknownService, wrongType, unknownParameter })
        {
            Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
            Assert.False(string.IsNullOrEmpty(reply.Description));
        }
        Assert.Contains("service_id", noService.Description);
        Assert.Contains("no-such-plan", unknownPlan.Description);
        Assert.Contains("unknown parameter 'size'", unknownParameter.Description);
        Assert.Equal(HttpStatusCode.NotFound, (await client.FetchAsync(id)).Status);
    }

    [Fact]
    public async Task Provision_WithAnInvalidParameterValue_Is400NamingTheField()
    {
        var client = fixture.Client("redis");
        var (serviceId, plan) = await client.PlanAsync("dedicated");

        var reply = await client.ProvisionAsync(Guid.NewGuid().ToString(),
            OsbClient.ProvisionBody(serviceId, plan["id"]!.GetValue<string>(), new JsonObject { ["maxmemory_policy"] = "forget-everything" }), acceptsIncomplete: true);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("maxmemory_policy", reply.Description);
    }

    [Theory]
    [InlineData("postgresql")]
    [InlineData("redis")]
    [InlineData("mariadb")]
    [InlineData("rabbitmq")]
    public async Task UnknownInstancesAndBindings_Are404OnFetch_And410OnDelete(string broker)
    {
        var client = fixture.Client(broker);
        var (serviceId, plan) = await client.PlanAsync(broker == "redis" ? "dedicated" : "shared");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();

        Assert.Equal(HttpStatusCode.NotFound, (await client.FetchAsync(id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.LastOperationAsync(id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.FetchBindingAsync(id, "b1")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.BindAsync(id, "b1", serviceId, planId)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(HttpMethod.Get, $"service_instances/{id}/service_bindings/b1/last_operation")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await client.DeprovisionAsync(id, serviceId, planId, acceptsIncomplete: true)).Status);
        Assert.Equal(HttpStatusCode.Gone, (await client.UnbindAsync(id, "b1", serviceId, planId)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.UpdateAsync(id, new JsonObject { ["service_id"] = serviceId })).Status);
    }

    [Fact]
    public async Task Deprovision_WithoutServiceAndPlanIds_Is400()
    {
        var client = fixture.Client("mariadb");

        var reply = await client.SendAsync(HttpMethod.Delete, $"service_instances/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Contains("service_id", reply.Description);
    }

    [Fact]
    public async Task StateFiles_ArePrivate_AndHoldNoPlaintextPasswords()
    {
        var client = fixture.Client("mariadb");
        var (serviceId, plan) = await client.PlanAsync("shared");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, planId))).Status);
        var bind = await client.BindAsync(id, "b1", serviceId, planId);
        var password = bind.Credentials["password"]!.GetValue<string>();

        var dir = Path.Combine(fixture.DataDirectory, "brokers", "mariadb");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        foreach (var file in new[] { "state.json", "state.key", "broker-password" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, file)));
        }
        Assert.DoesNotContain(password, await File.ReadAllTextAsync(Path.Combine(dir, "state.json")));
        Assert.DoesNotContain(fixture.LogLines, l => l.Contains(password));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fixture.ServiceFile("mariadb", "admin-password")));

        Assert.Equal(HttpStatusCode.OK, (await client.UnbindAsync(id, "b1", serviceId, planId)).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.DeprovisionAsync(id, serviceId, planId)).Status);
    }
}
