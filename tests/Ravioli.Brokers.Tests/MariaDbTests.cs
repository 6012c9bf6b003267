using System.Net;
using Xunit;

namespace Ravioli.Brokers.Tests;

[Collection(BrokersCollection.Name)]
public sealed class MariaDbTests(BrokersFixture fixture)
{
    private OsbClient Client => fixture.Client("mariadb");

    private async Task<string> AdminQueryAsync(string sql)
    {
        var port = int.Parse(await File.ReadAllTextAsync(fixture.ServiceFile("mariadb", "mariadb.port")));
        var password = (await File.ReadAllTextAsync(fixture.ServiceFile("mariadb", "admin-password"))).Trim();
        var (exit, output) = await MariaDbProbe.RunAsync("127.0.0.1", port, "ravioli_admin", password, sql);
        Assert.True(exit == 0, output);
        return output;
    }

    [Fact]
    public async Task Shared_ProvisionBindUseUnbindDeprovision_OnTheRealServer()
    {
        var (serviceId, plan) = await Client.PlanAsync("shared");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        var body = OsbClient.ProvisionBody(serviceId, planId);

        Assert.Equal(HttpStatusCode.Created, (await Client.ProvisionAsync(id, body, acceptsIncomplete: true)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Client.ProvisionAsync(id, body)).Status);
        Assert.Equal("succeeded", (await Client.LastOperationAsync(id)).Body!["state"]!.GetValue<string>());

        var first = (await Client.BindAsync(id, "first", serviceId, planId)).Credentials;
        var second = (await Client.BindAsync(id, "second", serviceId, planId)).Credentials;
        var database = first["name"]!.GetValue<string>();
        var port = first["port"]!.GetValue<int>();
        Assert.Equal($"mysql://{first["username"]}:{first["password"]}@127.0.0.1:{port}/{database}?reconnect=true", first["uri"]!.GetValue<string>());
        Assert.Equal($"jdbc:mariadb://127.0.0.1:{port}/{database}?user={first["username"]}&password={first["password"]}", first["jdbcUrl"]!.GetValue<string>());

        async Task<(int, string)> As(System.Text.Json.Nodes.JsonObject c, string sql) =>
            await MariaDbProbe.RunAsync("127.0.0.1", port, c["username"]!.GetValue<string>(), c["password"]!.GetValue<string>(), $"USE `{database}`; {sql}");

        var (exit, output) = await As(first, "CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, text VARCHAR(100)); INSERT INTO notes (text) VALUES ('hello');");
        Assert.True(exit == 0, output);
        (exit, output) = await As(second, "INSERT INTO notes (text) VALUES ('again'); SELECT COUNT(*) FROM notes;");
        Assert.True(exit == 0, output);
        Assert.Equal("2", output.Trim());
        var (denied, deniedOutput) = await As(first, "CREATE DATABASE elsewhere;");
        Assert.NotEqual(0, denied);
        Assert.Contains("denied", deniedOutput);

        Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "first", serviceId, planId)).Status);
        (exit, output) = await As(first, "SELECT 1;");
        Assert.NotEqual(0, exit);
        Assert.Contains("Access denied", output);
        Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "second", serviceId, planId)).Status);
        Assert.DoesNotContain(first["username"]!.GetValue<string>(), await AdminQueryAsync("SELECT user FROM mysql.user;"));

        Assert.Contains(database, await AdminQueryAsync("SHOW DATABASES;"));
        Assert.Equal(HttpStatusCode.OK, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
        Assert.DoesNotContain(database, await AdminQueryAsync("SHOW DATABASES;"));
        Assert.Equal(HttpStatusCode.Gone, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
    }
}
