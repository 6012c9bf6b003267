using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Ravioli.Brokers.Tests;

[Collection(BrokersCollection.Name)]
public sealed class PostgreSqlTests(BrokersFixture fixture)
{
    private OsbClient Client => fixture.Client("postgresql");

    internal static string ConnectionString(JsonObject credentials) => new NpgsqlConnectionStringBuilder
    {
        Host = credentials["hostname"]!.GetValue<string>(),
        Port = credentials["port"]!.GetValue<int>(),
        Username = credentials["username"]!.GetValue<string>(),
        Password = credentials["password"]!.GetValue<string>(),
        Database = credentials["name"]!.GetValue<string>(),
        Pooling = false,
        Timeout = 5,
    }.ConnectionString;

    internal static async Task<object?> ScalarAsync(JsonObject credentials, string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString(credentials));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync();
    }

    private async Task<bool> AdminSeesDatabaseAsync(string database)
    {
        var port = int.Parse(await File.ReadAllTextAsync(fixture.ServiceFile("postgresql", "postgresql.port")));
        var password = (await File.ReadAllTextAsync(fixture.ServiceFile("postgresql", "admin-password"))).Trim();
        await using var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=postgres;Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @d", conn);
        cmd.Parameters.AddWithValue("d", database);
        return (long)(await cmd.ExecuteScalarAsync())! == 1;
    }

    [Fact]
    public async Task SharedPlan_ProvisionBindUseUnbindDeprovision_OnTheRealServer()
    {
        var (serviceId, plan) = await Client.PlanAsync("shared");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        var body = OsbClient.ProvisionBody(serviceId, planId);

        Assert.Equal(HttpStatusCode.Created, (await Client.ProvisionAsync(id, body)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Client.ProvisionAsync(id, body)).Status);
        var conflicting = OsbClient.ProvisionBody(serviceId, planId);
        conflicting["space_guid"] = "another-space";
        Assert.Equal(HttpStatusCode.Conflict, (await Client.ProvisionAsync(id, conflicting)).Status);
        var fetched = await Client.FetchAsync(id);
        Assert.Equal(HttpStatusCode.OK, fetched.Status);
        Assert.Equal(planId, fetched.Body!["plan_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Client.LastOperationAsync(id)).Status);

        var first = await Client.BindAsync(id, "first", serviceId, planId);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var again = await Client.BindAsync(id, "first", serviceId, planId);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(first.Credentials.ToJsonString(), again.Credentials.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, (await Client.SendAsync(HttpMethod.Put, $"service_instances/{id}/service_bindings/first",
            new JsonObject { ["service_id"] = serviceId, ["plan_id"] = planId, ["app_guid"] = "another-app" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.BindAsync(id, "third", serviceId, planId, new JsonObject { ["role"] = "admin" })).Status);
        var second = await Client.BindAsync(id, "second", serviceId, planId);
        Assert.Equal(HttpStatusCode.Created, second.Status);

        var a = first.Credentials;
        var b = second.Credentials;
        var database = a["name"]!.GetValue<string>();
        Assert.Equal("127.0.0.1", a["hostname"]!.GetValue<string>());
        Assert.Equal($"postgres://{a["username"]}:{a["password"]}@127.0.0.1:{a["port"]}/{database}", a["uri"]!.GetValue<string>());
        Assert.Equal($"jdbc:postgresql://127.0.0.1:{a["port"]}/{database}?user={a["username"]}&password={a["password"]}", a["jdbcUrl"]!.GetValue<string>());
        Assert.NotEqual(a["username"]!.GetValue<string>(), b["username"]!.GetValue<string>());

        await ScalarAsync(a, "CREATE TABLE notes (id serial PRIMARY KEY, text text); INSERT INTO notes (text) VALUES ('from first')");
        Assert.Equal("from first", await ScalarAsync(b, "SELECT text FROM notes"));
        await ScalarAsync(b, "INSERT INTO notes (text) VALUES ('from second'); CREATE TABLE more (x int)");
        Assert.Equal(2L, await ScalarAsync(a, "SELECT count(*) FROM notes"));
        Assert.Equal(0L, await ScalarAsync(a, "SELECT count(*) FROM more"));

        var bindingOperation = await Client.SendAsync(HttpMethod.Get, $"service_instances/{id}/service_bindings/first/last_operation");
        Assert.Equal("succeeded", bindingOperation.Body!["state"]!.GetValue<string>());
        var fetchedBinding = await Client.FetchBindingAsync(id, "first");
        Assert.Equal(HttpStatusCode.OK, fetchedBinding.Status);
        Assert.Equal(a["password"]!.GetValue<string>(), fetchedBinding.Credentials["password"]!.GetValue<string>());

        await using (var open = new NpgsqlConnection(ConnectionString(a)))
        {
            await open.OpenAsync();
            Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "first", serviceId, planId)).Status);
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var cmd = new NpgsqlCommand("SELECT 1", open);
                await cmd.ExecuteScalarAsync();
            });
        }
        await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(a, "SELECT 1"));
        Assert.Equal(HttpStatusCode.NotFound, (await Client.FetchBindingAsync(id, "first")).Status);
        Assert.Equal(HttpStatusCode.Gone, (await Client.UnbindAsync(id, "first", serviceId, planId)).Status);
        Assert.Equal(2L, await ScalarAsync(b, "SELECT count(*) FROM notes"));

        Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "second", serviceId, planId)).Status);
        Assert.True(await AdminSeesDatabaseAsync(database));
        Assert.Equal(HttpStatusCode.OK, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
        Assert.False(await AdminSeesDatabaseAsync(database));
        Assert.Equal(HttpStatusCode.Gone, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
        Assert.Equal(HttpStatusCode.Gone, (await Client.LastOperationAsync(id)).Status);
        Assert.DoesNotContain(fixture.LogLines, l => l.Contains(a["password"]!.GetValue<string>()) || l.Contains(b["password"]!.GetValue<string>()));
    }

    [Fact]
    public async Task SharedPlan_PlanChangeToDedicated_Is422_AndAnEmptyUpdateIs200()
    {
        var (serviceId, shared) = await Client.PlanAsync("shared");
        var (_, dedicated) = await Client.PlanAsync("dedicated");
        var planId = shared["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await Client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, planId))).Status);

        var change = await Client.UpdateAsync(id, new JsonObject { ["service_id"] = serviceId, ["plan_id"] = dedicated["id"]!.GetValue<string>() });
        var noop = await Client.UpdateAsync(id, new JsonObject { ["service_id"] = serviceId, ["plan_id"] = planId });
        var unknown = await Client.UpdateAsync(id, new JsonObject { ["service_id"] = serviceId, ["parameters"] = new JsonObject { ["x"] = 1 } });

        Assert.Equal((HttpStatusCode)422, change.Status);
        Assert.Contains("not supported", change.Description);
        Assert.False(change.Body!["update_repeatable"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, noop.Status);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal(planId, (await Client.FetchAsync(id)).Body!["plan_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
    }

    [Fact]
    public async Task DedicatedPlan_IsAsynchronous_RunsItsOwnCluster_AndDeprovisionRemovesIt()
    {
        var (serviceId, plan) = await Client.PlanAsync("dedicated");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        var body = OsbClient.ProvisionBody(serviceId, planId);

        var sync = await Client.ProvisionAsync(id, body);
        Assert.Equal((HttpStatusCode)422, sync.Status);
        Assert.Equal("AsyncRequired", sync.Error);

        var accepted = await Client.ProvisionAsync(id, body, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var operation = accepted.Body!["operation"]!.GetValue<string>();
        var resent = await Client.ProvisionAsync(id, body, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Accepted, resent.Status);
        Assert.Equal(operation, resent.Body!["operation"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await Client.FetchAsync(id)).Status);
        var busy = await Client.DeprovisionAsync(id, serviceId, planId, acceptsIncomplete: true);
        Assert.Equal((HttpStatusCode)422, busy.Status);
        Assert.Equal("ConcurrencyError", busy.Error);
        var busyUpdate = await Client.UpdateAsync(id, new JsonObject { ["service_id"] = serviceId, ["context"] = new JsonObject { ["x"] = 1 } });
        Assert.Equal((HttpStatusCode)422, busyUpdate.Status);
        Assert.Equal("ConcurrencyError", busyUpdate.Error);
        var busyBind = await Client.BindAsync(id, "b1", serviceId, planId);
        Assert.Equal((HttpStatusCode)422, busyBind.Status);
        Assert.Equal("ConcurrencyError", busyBind.Error);

        var done = await Client.WaitAsync(id, operation);
        Assert.Equal("succeeded", done.Body!["state"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Client.ProvisionAsync(id, body, acceptsIncomplete: true)).Status);

        var bind = await Client.BindAsync(id, "b1", serviceId, planId);
        Assert.Equal(HttpStatusCode.Created, bind.Status);
        var credentials = bind.Credentials;
        var sharedPort = int.Parse(await File.ReadAllTextAsync(fixture.ServiceFile("postgresql", "postgresql.port")));
        Assert.NotEqual(sharedPort, credentials["port"]!.GetValue<int>());
        await ScalarAsync(credentials, "CREATE TABLE t (x int); INSERT INTO t VALUES (42)");
        Assert.Equal(42, await ScalarAsync(credentials, "SELECT x FROM t"));
        var clusters = Directory.GetDirectories(fixture.ServiceFile("postgresql-dedicated"));
        var cluster = Assert.Single(clusters, d => File.Exists(Path.Combine(d, "data", "postmaster.pid"))
            && File.ReadAllText(Path.Combine(d, "data", "postgresql.conf")).Contains($"port = {credentials["port"]}"));

        Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "b1", serviceId, planId)).Status);
        Assert.Equal((HttpStatusCode)422, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
        var deleting = await Client.DeprovisionAsync(id, serviceId, planId, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Accepted, deleting.Status);
        var gone = await Client.WaitAsync(id, deleting.Body!["operation"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        Assert.False(Directory.Exists(cluster));
        await Assert.ThrowsAnyAsync<Exception>(() => ScalarAsync(credentials, "SELECT 1"));
    }
}
