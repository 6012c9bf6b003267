using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Ravioli.EndToEnd.Tests;

/// <summary>`./ravioli up --services postgresql,redis`: the built-in brokers with their real servers.</summary>
public sealed class ServicesPlatform : Platform
{
    protected override string Services => "postgresql,redis";
}

/// <summary>
/// The marketplace as a user meets it: real `./ravioli up`, real `rav`, the built-in brokers' real PostgreSQL and Redis,
/// and the samples (Node.js with cfenv and pg / redis from npm) reading and writing through the router.
/// </summary>
public sealed class ServicesTests(ServicesPlatform platform) : IClassFixture<ServicesPlatform>
{
    private async Task<Platform.Result> RavOkAsync(params string[] args)
    {
        var result = await platform.RavAsync(args);
        Assert.True(result.ExitCode == 0, $"rav {string.Join(' ', args)}: {result}");
        return result;
    }

    private async Task WaitForMarketplaceAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var m = await platform.RavAsync("marketplace");
            if (m.ExitCode == 0 && m.Stdout.Contains("postgresql", StringComparison.Ordinal) && m.Stdout.Contains("redis", StringComparison.Ordinal))
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the built-in brokers never appeared in the marketplace: {m}\n{platform.Output}");
            await Task.Delay(1000);
        }
    }

    /// <summary>A service key's credentials, as `rav service-key --json` prints them.</summary>
    private async Task<JsonElement> KeyCredentialsAsync(string service, string key)
    {
        await RavOkAsync("create-service-key", service, key, "--wait");
        var shown = await RavOkAsync("service-key", service, key, "--json");
        using var doc = JsonDocument.Parse(shown.Stdout);
        return Find(doc.RootElement, "credentials")?.Clone() ?? throw new InvalidOperationException($"no credentials in: {shown.Stdout}");
    }

    private static JsonElement? Find(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (element.TryGetProperty(name, out var found))
        {
            return found;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (Find(property.Value, name) is { } nested)
            {
                return nested;
            }
        }
        return null;
    }

    /// <summary>Deletes app, key and instance in the order the platform requires, waiting out the unbinds the app delete queued.</summary>
    private async Task DeleteAllAsync(string app, string service, string key)
    {
        await RavOkAsync("delete", app, "-f", "-r");
        await RavOkAsync("delete-service-key", service, key, "-f", "--wait");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var delete = await platform.RavAsync("delete-service", service, "-f", "--wait");
            if (delete.ExitCode == 0)
            {
                return;
            }
            // The app's binding is unbound in the background right after the app goes; until then the delete is refused.
            Assert.True(DateTime.UtcNow < deadline && delete.Stderr.Contains("bound", StringComparison.Ordinal), delete.ToString());
            await Task.Delay(500);
        }
    }

    private static async Task<string> SendAsync(HttpClient router, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        }
        using var response = await router.SendAsync(request);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    private static async Task<string> PsqlAsync(string connection, string sql)
    {
        using var process = Process.Start(new ProcessStartInfo("psql", [connection, "-tAc", sql]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"psql: {error}");
        return output.Trim();
    }

    [Fact]
    public async Task A_node_app_bound_to_postgresql_writes_and_reads_rows_and_deprovisioning_drops_the_database()
    {
        await WaitForMarketplaceAsync();
        var created = await RavOkAsync("create-service", "postgresql", "shared", "notes-db", "--wait");
        Assert.Contains("succeeded", created.Stdout, StringComparison.OrdinalIgnoreCase);
        var directory = await PushTests.CopySampleAsync("node-postgres");
        try
        {
            var push = await platform.RavInAsync(directory, "push");
            Assert.True(push.ExitCode == 0, push.ToString());
            using var router = platform.Router("notes.apps.localhost");
            Assert.StartsWith("201", await SendAsync(router, HttpMethod.Post, "/notes", "written through the router"), StringComparison.Ordinal);
            Assert.StartsWith("201", await SendAsync(router, HttpMethod.Post, "/notes", "and a second one"), StringComparison.Ordinal);
            var notes = await SendAsync(router, HttpMethod.Get, "/");
            Assert.Equal("200 1: written through the router\n2: and a second one\n", notes);

            var env = await RavOkAsync("env", "notes");
            Assert.Contains("VCAP_SERVICES", env.Stdout, StringComparison.Ordinal);
            Assert.Contains("notes-db", env.Stdout, StringComparison.Ordinal);

            var credentials = await KeyCredentialsAsync("notes-db", "check");
            var database = credentials.GetProperty("name").GetString()!;
            var port = credentials.GetProperty("port").GetInt32();
            Assert.StartsWith("jdbc:postgresql://", credentials.GetProperty("jdbcUrl").GetString(), StringComparison.Ordinal);
            // The key sees the rows the app wrote: the same database.
            Assert.Equal("2", await PsqlAsync(credentials.GetProperty("uri").GetString()!, "SELECT count(*) FROM notes"));

            await DeleteAllAsync("notes", "notes-db", "check");
            var admin = $"postgresql://postgres:{Uri.EscapeDataString((await File.ReadAllTextAsync(Path.Combine(platform.DataDirectory, "services", "postgresql", "admin-password"))).Trim())}@127.0.0.1:{port}/postgres";
            Assert.Equal("", await PsqlAsync(admin, $"SELECT datname FROM pg_database WHERE datname = '{database}'"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_node_app_bound_to_a_dedicated_redis_counts_across_restarts_and_deprovisioning_stops_the_server()
    {
        await WaitForMarketplaceAsync();
        await RavOkAsync("create-service", "redis", "dedicated", "counter-cache", "--wait");
        var directory = await PushTests.CopySampleAsync("node-redis");
        try
        {
            var push = await platform.RavInAsync(directory, "push");
            Assert.True(push.ExitCode == 0, push.ToString());
            using var router = platform.Router("counter.apps.localhost");
            Assert.Equal("200 visits: 1\n", await SendAsync(router, HttpMethod.Get, "/"));
            Assert.Equal("200 visits: 2\n", await SendAsync(router, HttpMethod.Get, "/"));
            await RavOkAsync("restart", "counter");
            Assert.Equal("200 visits: 3\n", await SendAsync(router, HttpMethod.Get, "/"));

            var credentials = await KeyCredentialsAsync("counter-cache", "check");
            var port = credentials.GetProperty("port").GetInt32();
            Assert.StartsWith("redis://", credentials.GetProperty("uri").GetString(), StringComparison.Ordinal);
            await DeleteAllAsync("counter", "counter-cache", "check");
            using var client = new TcpClient();
            var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
