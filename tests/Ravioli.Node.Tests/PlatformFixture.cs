using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Api.Apis;
using Ravioli.Core.Apps;
using Ravioli.Staging.Droplets;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;
using Ravioli.Testing;

namespace Ravioli.Node.Tests;

/// <summary>A control plane and a node agent sharing one data directory, as './ravioli up' runs them, on free loopback ports.</summary>
public class PlatformFixture : RavioliServerFixture
{
    private readonly int _nodePort = FreePort();

    public int Http2Port { get; } = FreePort();

    public NodeHost Node { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    protected override void Configure(WebApplicationBuilder builder)
    {
        builder.Configuration["Ravioli:NodeUrl"] = $"http://127.0.0.1:{_nodePort}";
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Admin = await AdminClientAsync();
        await StartNodeAsync();
    }

    public async Task StartNodeAsync()
    {
        Node = NodeHost.Build(["--data-dir", DataDirectory, "--control-plane", BaseUrl, "--node-port", _nodePort.ToString(), "--router-port", "0", "--router-http2-port", Http2Port.ToString()], b =>
        {
            b.Configuration["Ravioli:Node:PollInterval"] = "00:00:00.200";
            b.Configuration["Ravioli:Node:ReconcileInterval"] = "00:00:00.200";
            b.Configuration["Ravioli:Node:DrainTime"] = "00:00:00.500";
            b.Configuration["Ravioli:Node:InitialRestartDelay"] = "00:00:01";
        });
        await Node.StartAsync();
    }

    public async Task StopNodeAsync() => await Node.DisposeAsync();

    public HttpClient RouterClient(string host)
    {
        var client = new HttpClient { BaseAddress = Node.RouterAddress, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Host = host;
        return client;
    }

    /// <summary>Creates an app with a real droplet (a Python stdlib server), a route, and returns its guid and host.</summary>
    public Task<(string App, string Host)> PushAsync(string name, string body) =>
        PushDropletAsync(name, new Dictionary<string, string>
        {
            ["server.py"] = $$"""
                import http.server, os
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        data = ("{{body}} " + os.environ.get("CF_INSTANCE_INDEX", "?") + " " + os.environ.get("GREETING", "")).encode()
                        self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
                    def log_message(self, *a): print("request", flush=True)
                print("listening on", os.environ["PORT"], flush=True)
                http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
                """,
        }, "python3 server.py");

    /// <summary>Creates an app whose current droplet holds <paramref name="files"/> under app/ and starts with <paramref name="command"/>, and maps a route.</summary>
    public async Task<(string App, string Host)> PushDropletAsync(string name, IReadOnlyDictionary<string, string> files, string command)
    {
        var org = (await Admin.PostJsonAsync("/v3/organizations", new { name = "org-" + name })).Expect(HttpStatusCode.Created).Guid();
        var space = (await Admin.PostJsonAsync("/v3/spaces", new { name = "s", relationships = new { organization = new { data = new { guid = org } } } })).Expect(HttpStatusCode.Created).Guid();
        var app = (await Admin.PostJsonAsync("/v3/apps", new { name, relationships = new { space = new { data = new { guid = space } } } })).Expect(HttpStatusCode.Created).Guid();
        var dir = Directory.CreateTempSubdirectory("droplet-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "app"));
            foreach (var (file, content) in files)
            {
                await File.WriteAllTextAsync(Path.Combine(dir, "app", file), content);
            }
            var processTypes = JsonSerializer.Serialize(new Dictionary<string, string> { ["web"] = command });
            await File.WriteAllTextAsync(Path.Combine(dir, "staging_info.json"),
                JsonSerializer.Serialize(new { detected_buildpack = "python_buildpack", start_command = command, process_types = new Dictionary<string, string> { ["web"] = command } }));
            var archive = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".tgz");
            await DropletArchive.CreateAsync(dir, archive);
            using var scope = Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
            var (sha, _) = await scope.ServiceProvider.GetRequiredService<BlobStore>().PutFileAsync(archive, default);
            File.Delete(archive);
            var droplet = new DropletEntity { AppGuid = app, State = DropletStates.Staged, BlobKey = sha, Buildpack = "python_buildpack", ProcessTypes = processTypes };
            db.Droplets.Add(droplet);
            await DropletsApi.MakeCurrentAsync(db, db.Apps.Single(a => a.Guid == app), droplet, default);
            await db.SaveChangesAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        var domain = (await Admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        var route = (await Admin.PostJsonAsync("/v3/routes", new { host = name, relationships = new { space = new { data = new { guid = space } }, domain = new { data = new { guid = domain } } } })).Expect(HttpStatusCode.Created).Guid();
        (await Admin.PostJsonAsync($"/v3/routes/{route}/destinations", new { destinations = new[] { new { app = new { guid = app } } } })).Expect(HttpStatusCode.OK);
        return (app, $"{name}.apps.localhost");
    }

    /// <summary>Polls until the condition holds; fails with the last observation after the bound.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        T last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {within.TotalSeconds} s; last: {last}");
            }
            await Task.Delay(100);
            last = await probe();
        }
        return last;
    }

    public static async Task<string> GetAsync(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync("/");
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }
        catch (HttpRequestException e)
        {
            return "error " + e.Message;
        }
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await Node.StopAppsAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await Node.DisposeAsync();
            Admin.Dispose();
            await base.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
