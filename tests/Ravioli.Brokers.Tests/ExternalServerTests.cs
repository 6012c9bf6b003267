using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ravioli.Brokers.Tests;

/// <summary>
/// The shared plans pointed at servers the brokers did not start (here: the suite's own servers, reached only through
/// admin connection strings), mounted in a host whose fallback policy demands authentication, as the control plane's.
/// </summary>
[Collection(BrokersCollection.Name)]
public sealed class ExternalServerTests(BrokersFixture fixture)
{
    [Fact]
    public async Task SharedPlans_OnExistingServers_WorkInsideAHostWithAFallbackAuthorizationPolicy()
    {
        var pgPort = (await File.ReadAllTextAsync(fixture.ServiceFile("postgresql", "postgresql.port"))).Trim();
        var pgPassword = (await File.ReadAllTextAsync(fixture.ServiceFile("postgresql", "admin-password"))).Trim();
        var myPort = (await File.ReadAllTextAsync(fixture.ServiceFile("mariadb", "mariadb.port"))).Trim();
        var myPassword = (await File.ReadAllTextAsync(fixture.ServiceFile("mariadb", "admin-password"))).Trim();
        var data = Path.Combine("/tmp", $"ravioli-brokers-ext-{Guid.NewGuid():N}"[..30]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        builder.Services.AddRavioliBrokers(new BrokerOptions
        {
            DataDirectory = data,
            Enabled = new HashSet<string> { "postgresql", "mariadb" },
            PostgresAdminConnectionString = $"Host=127.0.0.1;Port={pgPort};Username=postgres;Password={pgPassword}",
            MariaDbAdminConnectionString = $"Server=127.0.0.1;Port={myPort};User=ravioli_admin;Password={myPassword}",
        });
        await using var app = builder.Build();
        app.UseAuthorization();
        app.MapRavioliBrokers();
        await app.StartAsync();
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            var brokers = await app.Services.GetRequiredService<IBuiltInBrokers>().StartAsync(CancellationToken.None);
            Assert.Equal(["postgresql", "mariadb"], brokers.Select(b => b.Name));
            Assert.False(Directory.Exists(Path.Combine(data, "services", "postgresql")));
            Assert.False(Directory.Exists(Path.Combine(data, "services", "mariadb")));

            var postgres = new OsbClient(address, brokers[0]);
            var (pgService, pgPlan) = await postgres.PlanAsync("shared");
            var pgPlanId = pgPlan["id"]!.GetValue<string>();
            Assert.Equal(HttpStatusCode.Created, (await postgres.ProvisionAsync("ext-pg", OsbClient.ProvisionBody(pgService, pgPlanId))).Status);
            var pg = (await postgres.BindAsync("ext-pg", "b1", pgService, pgPlanId)).Credentials;
            Assert.Equal(int.Parse(pgPort), pg["port"]!.GetValue<int>());
            Assert.Equal(3, await PostgreSqlTests.ScalarAsync(pg, "SELECT 1 + 2"));
            Assert.Equal(HttpStatusCode.OK, (await postgres.UnbindAsync("ext-pg", "b1", pgService, pgPlanId)).Status);
            Assert.Equal(HttpStatusCode.OK, (await postgres.DeprovisionAsync("ext-pg", pgService, pgPlanId)).Status);

            var mariadb = new OsbClient(address, brokers[1]);
            var (myService, myPlan) = await mariadb.PlanAsync("shared");
            var myPlanId = myPlan["id"]!.GetValue<string>();
            Assert.Equal(HttpStatusCode.Created, (await mariadb.ProvisionAsync("ext-my", OsbClient.ProvisionBody(myService, myPlanId))).Status);
            var my = (await mariadb.BindAsync("ext-my", "b1", myService, myPlanId)).Credentials;
            var (exit, output) = await MariaDbProbe.RunAsync("127.0.0.1", my["port"]!.GetValue<int>(), my["username"]!.GetValue<string>(),
                my["password"]!.GetValue<string>(), $"USE `{my["name"]}`; CREATE TABLE t (x INT); INSERT INTO t VALUES (5); SELECT x FROM t;");
            Assert.True(exit == 0, output);
            Assert.Equal("5", output.Trim());
            Assert.Equal(HttpStatusCode.OK, (await mariadb.UnbindAsync("ext-my", "b1", myService, myPlanId)).Status);
            Assert.Equal(HttpStatusCode.OK, (await mariadb.DeprovisionAsync("ext-my", myService, myPlanId)).Status);
        }
        finally
        {
            await app.StopAsync();
            Directory.Delete(data, recursive: true);
        }
    }
}
