using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Ravioli.Brokers.Tests;

[Collection(BrokersCollection.Name)]
public sealed class RedisTests(BrokersFixture fixture)
{
    private OsbClient Client => fixture.Client("redis");

    internal static Task<List<string>> AsUserAsync(JsonObject credentials, params string[][] commands) =>
        RedisProbe.ExchangeAsync(credentials["port"]!.GetValue<int>(),
            [["AUTH", credentials["username"]!.GetValue<string>(), credentials["password"]!.GetValue<string>()], .. commands]);

    [Fact]
    public async Task Dedicated_ProvisionAsync_BindWithAclUser_UpdateLive_UnbindRevokes_DeprovisionRemovesServer()
    {
        var (serviceId, plan) = await Client.PlanAsync("dedicated");
        var (_, large) = await Client.PlanAsync("dedicated-large");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        var body = OsbClient.ProvisionBody(serviceId, planId, new JsonObject { ["maxmemory_policy"] = "allkeys-lru" });

        Assert.Equal("AsyncRequired", (await Client.ProvisionAsync(id, body)).Error);
        var accepted = await Client.ProvisionAsync(id, body, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var done = await Client.WaitAsync(id, accepted.Body!["operation"]!.GetValue<string>());
        Assert.Equal("succeeded", done.Body!["state"]!.GetValue<string>());
        Assert.Equal("allkeys-lru", (await Client.FetchAsync(id)).Body!["parameters"]!["maxmemory_policy"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await Client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, planId), acceptsIncomplete: true)).Status);
        Assert.Equal((64 * 1024 * 1024).ToString(), await ValueAsync(id, "maxmemory"));
        Assert.Equal("allkeys-lru", await ValueAsync(id, "maxmemory-policy"));

        var bind = await Client.BindAsync(id, "b1", serviceId, planId);
        Assert.Equal(HttpStatusCode.Created, bind.Status);
        var credentials = bind.Credentials;
        var user = credentials["username"]!.GetValue<string>();
        Assert.Equal($"redis://{user}:{credentials["password"]}@127.0.0.1:{credentials["port"]}", credentials["uri"]!.GetValue<string>());
        Assert.Equal(["OK", "OK", "world"], await AsUserAsync(credentials, ["SET", "hello", "world"], ["GET", "hello"]));
        Assert.StartsWith("-NOPERM", (await AsUserAsync(credentials, ["CONFIG", "SET", "maxmemory", "1gb"]))[1]);
        Assert.StartsWith("-WRONGPASS", (await RedisProbe.ExchangeAsync(credentials["port"]!.GetValue<int>(), ["AUTH", "default", credentials["password"]!.GetValue<string>()]))[0]);

        var update = await Client.UpdateAsync(id, new JsonObject
        {
            ["service_id"] = serviceId,
            ["plan_id"] = large["id"]!.GetValue<string>(),
            ["parameters"] = new JsonObject { ["maxmemory_policy"] = "volatile-ttl" },
            ["previous_values"] = new JsonObject { ["plan_id"] = planId },
        });
        Assert.Equal(HttpStatusCode.OK, update.Status);
        Assert.Equal((256L * 1024 * 1024).ToString(), await ValueAsync(id, "maxmemory"));
        Assert.Equal("volatile-ttl", await ValueAsync(id, "maxmemory-policy"));
        Assert.Equal(large["id"]!.GetValue<string>(), (await Client.FetchAsync(id)).Body!["plan_id"]!.GetValue<string>());
        var badUpdate = await Client.UpdateAsync(id, new JsonObject { ["service_id"] = serviceId, ["parameters"] = new JsonObject { ["maxmemory"] = "1gb" } });
        Assert.Equal(HttpStatusCode.BadRequest, badUpdate.Status);
        Assert.Equal("world", (await AsUserAsync(credentials, ["GET", "hello"]))[1]);

        var largeId = large["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "b1", serviceId, largeId)).Status);
        Assert.StartsWith("-WRONGPASS", (await AsUserAsync(credentials, ["GET", "hello"]))[0]);

        var instance = fixture.Registry.Engine("redis").Snapshot(id)!;
        var directory = instance.Details["directory"];
        Assert.True(File.Exists(Path.Combine(directory, "redis.pid")));
        var deleting = await Client.DeprovisionAsync(id, serviceId, largeId, acceptsIncomplete: true);
        Assert.Equal(HttpStatusCode.Accepted, deleting.Status);
        Assert.Equal(HttpStatusCode.Gone, (await Client.WaitAsync(id, deleting.Body!["operation"]!.GetValue<string>())).Status);
        Assert.False(Directory.Exists(directory));
        await Assert.ThrowsAnyAsync<Exception>(() => AsUserAsync(credentials, ["PING"]));
        Assert.DoesNotContain(fixture.LogLines, l => l.Contains(credentials["password"]!.GetValue<string>()) || l.Contains(instance.Secrets["admin_password"]));
    }

    private async Task<string> ValueAsync(string id, string key)
    {
        var instance = fixture.Registry.Engine("redis").Snapshot(id)!;
        await using var client = await Redis.RespClient.ConnectAsync(int.Parse(instance.Details["port"]), "default", instance.Secrets["admin_password"], CancellationToken.None);
        var reply = await client.CommandAsync(CancellationToken.None, "CONFIG", "GET", key);
        return reply.Items![1].Text!;
    }
}
