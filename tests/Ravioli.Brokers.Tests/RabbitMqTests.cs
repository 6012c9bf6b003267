using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Xunit;

namespace Ravioli.Brokers.Tests;

[Collection(BrokersCollection.Name)]
public sealed class RabbitMqTests(BrokersFixture fixture)
{
    private OsbClient Client => fixture.Client("rabbitmq");

    private static async Task<HttpStatusCode> ManagementGetAsync(int port, string user, string password, string path)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await http.GetAsync($"http://127.0.0.1:{port}/api/{path}");
        return response.StatusCode;
    }

    [Fact]
    public async Task Shared_VhostPerInstance_UserPerBinding_AmqpRoundTrip_UnbindAndDeprovisionRevoke()
    {
        var (serviceId, plan) = await Client.PlanAsync("shared");
        var planId = plan["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();

        Assert.Equal(HttpStatusCode.Created, (await Client.ProvisionAsync(id, OsbClient.ProvisionBody(serviceId, planId))).Status);
        var bind = await Client.BindAsync(id, "b1", serviceId, planId);
        Assert.Equal(HttpStatusCode.Created, bind.Status);
        var c = bind.Credentials;
        var user = c["username"]!.GetValue<string>();
        var password = c["password"]!.GetValue<string>();
        var vhost = c["name"]!.GetValue<string>();
        var port = c["port"]!.GetValue<int>();
        Assert.Equal($"amqp://{user}:{password}@127.0.0.1:{port}/{Uri.EscapeDataString(vhost)}", c["uri"]!.GetValue<string>());
        var apiUri = new Uri(c["http_api_uri"]!.GetValue<string>());

        Assert.Equal("ping", await AmqpProbe.RoundTripAsync(port, user, password, vhost, "q1", "ping"));
        Assert.Equal(HttpStatusCode.OK, await ManagementGetAsync(apiUri.Port, user, password, $"queues/{Uri.EscapeDataString(vhost)}/q1"));
        await Assert.ThrowsAnyAsync<Exception>(() => AmqpProbe.RoundTripAsync(port, user, password, "/", "q1", "ping"));

        Assert.Equal(HttpStatusCode.OK, (await Client.UnbindAsync(id, "b1", serviceId, planId)).Status);
        await Assert.ThrowsAnyAsync<Exception>(() => AmqpProbe.RoundTripAsync(port, user, password, vhost, "q1", "ping"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ManagementGetAsync(apiUri.Port, user, password, "whoami"));

        var adminPassword = (await File.ReadAllTextAsync(fixture.ServiceFile("rabbitmq", "admin-password"))).Trim();
        Assert.Equal(HttpStatusCode.OK, await ManagementGetAsync(apiUri.Port, "ravioli-admin", adminPassword, $"vhosts/{Uri.EscapeDataString(vhost)}"));
        Assert.Equal(HttpStatusCode.OK, (await Client.DeprovisionAsync(id, serviceId, planId)).Status);
        Assert.Equal(HttpStatusCode.NotFound, await ManagementGetAsync(apiUri.Port, "ravioli-admin", adminPassword, $"vhosts/{Uri.EscapeDataString(vhost)}"));
        Assert.DoesNotContain(fixture.LogLines, l => l.Contains(password));
    }
}
