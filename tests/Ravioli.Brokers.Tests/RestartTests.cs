using System.Diagnostics;
using System.Net;
using Xunit;

namespace Ravioli.Brokers.Tests;

/// <summary>The control plane restarts: state, servers and credentials survive; interrupted operations finish.</summary>
[Collection(BrokersCollection.Name)]
public sealed class RestartTests(BrokersFixture fixture)
{
    private int RedisPid(string instanceId)
    {
        var instance = fixture.Registry.Engine("redis").Snapshot(instanceId)!;
        return int.Parse(File.ReadAllText(Path.Combine(instance.Details["directory"], "redis.pid")).Trim());
    }

    [Fact]
    public async Task Restart_ReadoptsRunningServers_RestartsDeadOnes_AndKeepsBindings()
    {
        var redis = fixture.Client("redis");
        var (redisService, redisPlan) = await redis.PlanAsync("dedicated");
        var redisPlanId = redisPlan["id"]!.GetValue<string>();
        var redisId = Guid.NewGuid().ToString();
        var accepted = await redis.ProvisionAsync(redisId, OsbClient.ProvisionBody(redisService, redisPlanId), acceptsIncomplete: true);
        Assert.Equal("succeeded", (await redis.WaitAsync(redisId, accepted.Body!["operation"]!.GetValue<string>())).Body!["state"]!.GetValue<string>());
        var redisCredentials = (await redis.BindAsync(redisId, "b1", redisService, redisPlanId)).Credentials;
        Assert.Equal(["OK", "OK"], await RedisTests.AsUserAsync(redisCredentials, ["SET", "survives", "yes"]));

        var postgres = fixture.Client("postgresql");
        var (pgService, pgPlan) = await postgres.PlanAsync("shared");
        var pgPlanId = pgPlan["id"]!.GetValue<string>();
        var pgId = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await postgres.ProvisionAsync(pgId, OsbClient.ProvisionBody(pgService, pgPlanId))).Status);
        var pgCredentials = (await postgres.BindAsync(pgId, "b1", pgService, pgPlanId)).Credentials;
        await PostgreSqlTests.ScalarAsync(pgCredentials, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
        var pid = RedisPid(redisId);

        fixture.LogLines.Clear();
        await fixture.RestartHostAsync();

        Assert.Equal(pid, RedisPid(redisId));
        Assert.Contains(fixture.LogLines, l => l.Contains("Backing server postgresql: adopted"));
        Assert.Contains(fixture.LogLines, l => l.Contains("Backing server mariadb: adopted"));
        Assert.Contains(fixture.LogLines, l => l.Contains("Backing server rabbitmq: adopted"));
        Assert.Contains(fixture.LogLines, l => l.Contains("Backing server redis: adopted"));
        redis = fixture.Client("redis");
        postgres = fixture.Client("postgresql");
        Assert.Equal(HttpStatusCode.OK, (await redis.FetchAsync(redisId)).Status);
        var fetched = await redis.FetchBindingAsync(redisId, "b1");
        Assert.Equal(redisCredentials.ToJsonString(), fetched.Credentials.ToJsonString());
        Assert.Equal("yes", (await RedisTests.AsUserAsync(redisCredentials, ["GET", "survives"]))[1]);
        Assert.Equal(7, await PostgreSqlTests.ScalarAsync(pgCredentials, "SELECT x FROM kept"));

        Process.GetProcessById(pid).Kill();
        await Process.GetProcessById(pid).WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        await fixture.RestartHostAsync();

        var restarted = RedisPid(redisId);
        Assert.NotEqual(pid, restarted);
        Assert.Equal("PONG", (await RedisTests.AsUserAsync(redisCredentials, ["PING"]))[1]);

        redis = fixture.Client("redis");
        postgres = fixture.Client("postgresql");
        Assert.Equal(HttpStatusCode.OK, (await redis.UnbindAsync(redisId, "b1", redisService, redisPlanId)).Status);
        var deleting = await redis.DeprovisionAsync(redisId, redisService, redisPlanId, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Gone, (await redis.WaitAsync(redisId, deleting.Body!["operation"]!.GetValue<string>())).Status);
        Assert.Equal(HttpStatusCode.OK, (await postgres.UnbindAsync(pgId, "b1", pgService, pgPlanId)).Status);
        Assert.Equal(HttpStatusCode.OK, (await postgres.DeprovisionAsync(pgId, pgService, pgPlanId)).Status);
    }

    [Fact]
    public async Task Restart_DuringAnAsynchronousProvision_ResumesIt_InsteadOfLeavingItInProgress()
    {
        var client = fixture.Client("postgresql");
        var (serviceId, plan) = await client.PlanAsync("dedicated");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();

        var accepted = await client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, planId), acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        await Task.Delay(300);
        await fixture.RestartHostAsync();
        client = fixture.Client("postgresql");

        var done = await client.WaitAsync(id, accepted.Body!["operation"]!.GetValue<string>());
        Assert.Equal("succeeded", done.Body!["state"]!.GetValue<string>());
        var credentials = (await client.BindAsync(id, "b1", serviceId, planId)).Credentials;
        Assert.Equal(1, await PostgreSqlTests.ScalarAsync(credentials, "SELECT 1"));

        Assert.Equal(HttpStatusCode.OK, (await client.UnbindAsync(id, "b1", serviceId, planId)).Status);
        var deleting = await client.DeprovisionAsync(id, serviceId, planId, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Gone, (await client.WaitAsync(id, deleting.Body!["operation"]!.GetValue<string>())).Status);
    }
}
