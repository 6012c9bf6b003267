using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Store;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests.Support;

/// <summary>
/// Packages, builds, build logs and instance stats in Cloud Foundry's shapes (as docs/api.md describes
/// them), in front of the real server for everything else. A build "stages" by planting a droplet whose
/// process types come from the uploaded Procfile, so the rest of a push (current droplet, start) runs
/// against the real API.
/// </summary>
internal sealed class FakeStaging
{
    private readonly RavioliServerFixture _server;
    private readonly ConcurrentDictionary<string, string> _packageApps = new();
    private readonly ConcurrentDictionary<string, JsonObject> _builds = new();

    public FakeStaging(RavioliServerFixture server)
    {
        _server = server;
        Handler = new FakeEndpoints()
            .On(HttpMethod.Post, "/v3/packages", CreatePackageAsync)
            .On(HttpMethod.Post, "/v3/packages/(?<guid>[^/]+)/upload", UploadAsync)
            .On(HttpMethod.Post, "/v3/builds", CreateBuildAsync)
            .On(HttpMethod.Get, "/v3/builds/(?<guid>[^/]+)/log", (_, _) => FakeEndpoints.Text(BuildLog))
            .On(HttpMethod.Get, "/v3/builds/(?<guid>[^/]+)", (_, match) => FakeEndpoints.Json(HttpStatusCode.OK, _builds[match.Groups["guid"].Value].ToJsonString()))
            .On(HttpMethod.Get, "/v3/processes/(?<guid>[^/]+)/stats", (_, match) => FakeEndpoints.Json(HttpStatusCode.OK, Stats(match.Groups["guid"].Value)));
    }

    public FakeEndpoints Handler { get; }

    /// <summary>The zips rav uploaded, by package guid.</summary>
    public ConcurrentDictionary<string, byte[]> Uploads { get; } = new();

    public ConcurrentQueue<string?> UploadContentTypes { get; } = new();

    /// <summary>The bodies of <c>POST /v3/builds</c>.</summary>
    public ConcurrentQueue<JsonObject> BuildRequests { get; } = new();

    public string BuildLog { get; set; } = "-----> Ravioli test buildpack\n       Installing nothing at all\n";

    /// <summary>When set, builds fail with this error.</summary>
    public string? FailStagingWith { get; set; }

    /// <summary>The state every instance reports; CRASHED comes with <see cref="CrashDetails"/>.</summary>
    public string InstanceState { get; set; } = "RUNNING";

    public string? CrashDetails { get; set; }

    public ZipArchive OpenUpload() => new(new MemoryStream(Uploads.Values.Single()), ZipArchiveMode.Read);

    private async Task<HttpResponseMessage> CreatePackageAsync(HttpRequestMessage request, System.Text.RegularExpressions.Match _)
    {
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync())!;
        var guid = Guid.NewGuid().ToString();
        _packageApps[guid] = body["relationships"]!["app"]!["data"]!["guid"]!.GetValue<string>();
        return FakeEndpoints.Json(HttpStatusCode.Created, Package(guid, "AWAITING_UPLOAD"));
    }

    private async Task<HttpResponseMessage> UploadAsync(HttpRequestMessage request, System.Text.RegularExpressions.Match match)
    {
        var guid = match.Groups["guid"].Value;
        UploadContentTypes.Enqueue(request.Content!.Headers.ContentType?.MediaType);
        Uploads[guid] = await request.Content.ReadAsByteArrayAsync();
        return FakeEndpoints.Json(HttpStatusCode.OK, Package(guid, "READY"));
    }

    private async Task<HttpResponseMessage> CreateBuildAsync(HttpRequestMessage request, System.Text.RegularExpressions.Match _)
    {
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync())!.AsObject();
        BuildRequests.Enqueue(body);
        var package = body["package"]!["guid"]!.GetValue<string>();
        var guid = Guid.NewGuid().ToString();
        var build = new JsonObject { ["guid"] = guid, ["state"] = "STAGING", ["error"] = null, ["droplet"] = null };
        if (FailStagingWith is { } error)
        {
            _builds[guid] = new JsonObject { ["guid"] = guid, ["state"] = "FAILED", ["error"] = error, ["droplet"] = null };
        }
        else
        {
            var droplet = await Droplets.PlantAsync(_server, _packageApps[package], makeCurrent: false, processTypes: ProcessTypes(package));
            _builds[guid] = new JsonObject { ["guid"] = guid, ["state"] = "STAGED", ["error"] = null, ["droplet"] = new JsonObject { ["guid"] = droplet } };
        }

        return FakeEndpoints.Json(HttpStatusCode.Created, build.ToJsonString());
    }

    /// <summary>What a buildpack would find: the Procfile's lines, else a web process running ./server.sh.</summary>
    private string ProcessTypes(string package)
    {
        using var zip = new ZipArchive(new MemoryStream(Uploads[package]), ZipArchiveMode.Read);
        var types = new Dictionary<string, string>();
        if (zip.GetEntry("Procfile") is { } procfile)
        {
            using var reader = new StreamReader(procfile.Open());
            while (reader.ReadLine() is { } line)
            {
                if (line.Split(':', 2) is [var type, var command])
                {
                    types[type.Trim()] = command.Trim();
                }
            }
        }

        if (types.Count == 0)
        {
            types["web"] = "./server.sh";
        }

        return JsonSerializer.Serialize(types);
    }

    private string Stats(string processGuid)
    {
        using var scope = _server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var process = db.Processes.Single(p => p.Guid == processGuid);
        var resources = new JsonArray();
        for (var index = 0; index < process.Instances; index++)
        {
            resources.Add(new JsonObject
            {
                ["type"] = process.Type,
                ["index"] = index,
                ["state"] = InstanceState,
                ["host"] = "127.0.0.1",
                // Just (re)started: rav waits after a restart for instances younger than the restart.
                ["uptime"] = 0,
                ["mem_quota"] = process.MemoryMb * 1024L * 1024L,
                ["disk_quota"] = process.DiskMb * 1024L * 1024L,
                ["usage"] = new JsonObject { ["time"] = "2026-11-21T20:00:00Z", ["cpu"] = 0.003, ["mem"] = 31457280, ["disk"] = 5242880 },
                ["details"] = InstanceState == "CRASHED" ? CrashDetails : null,
            });
        }

        return new JsonObject { ["resources"] = resources }.ToJsonString();
    }

    private static string Package(string guid, string state)
        => new JsonObject { ["guid"] = guid, ["type"] = "bits", ["state"] = state, ["created_at"] = DateTimeOffset.UtcNow.ToString("O") }.ToJsonString();
}
