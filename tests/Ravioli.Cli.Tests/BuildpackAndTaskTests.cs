using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>buildpacks, create-buildpack, run-task and tasks in Cloud Foundry's v3 shapes; stand-ins answer until the server serves them.</summary>
public sealed class BuildpackAndTaskTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private const string BuildpackList = """
        {"pagination": {"next": null}, "resources": [
          {"guid": "b2", "name": "python_buildpack", "position": 2, "enabled": true, "locked": false, "filename": null, "stack": "ravioli-bookworm", "state": "READY"},
          {"guid": "b1", "name": "nodejs_buildpack", "position": 1, "enabled": true, "locked": false, "filename": null, "stack": "ravioli-bookworm", "state": "READY"},
          {"guid": "b9", "name": "my_buildpack", "position": 3, "enabled": false, "locked": true, "filename": "my_buildpack.zip", "stack": null, "state": "READY"}
        ]}
        """;

    [Fact]
    public async Task Buildpacks_AreListedInPositionOrder()
    {
        var fake = new FakeEndpoints().On(HttpMethod.Get, "/v3/buildpacks", (_, _) => FakeEndpoints.Json(HttpStatusCode.OK, BuildpackList));
        using var rav = new Rav(server, fake);
        await rav.LoginAsAdminAsync();

        var result = await rav.OkAsync("buildpacks");

        Assert.Contains("Getting buildpacks as admin...", result.Out);
        Assert.Matches(@"position\s+name\s+stack\s+enabled\s+locked\s+state\s+filename", result.Out);
        Assert.Equal(["1", "2", "3"], Screen.FirstColumn(result.Out, "position"));
        Assert.Matches(@"(?m)^3\s+my_buildpack\s+false\s+true\s+ready\s+my_buildpack\.zip$", result.Out);
    }

    [Fact]
    public async Task CreateBuildpack_CreatesItThenUploadsTheZip()
    {
        var bodies = new ConcurrentQueue<JsonNode>();
        var uploads = new ConcurrentQueue<(string? Type, byte[] Bytes)>();
        var fake = new FakeEndpoints()
            .On(HttpMethod.Post, "/v3/buildpacks", async (request, _) =>
            {
                bodies.Enqueue(JsonNode.Parse(await request.Content!.ReadAsStringAsync())!);
                return FakeEndpoints.Json(HttpStatusCode.Created, """{"guid": "bp-1", "name": "my_buildpack", "position": 1, "state": "AWAITING_UPLOAD"}""");
            })
            .On(HttpMethod.Post, "/v3/buildpacks/bp-1/upload", async (request, _) =>
            {
                uploads.Enqueue((request.Content!.Headers.ContentType?.MediaType, await request.Content.ReadAsByteArrayAsync()));
                return FakeEndpoints.Json(HttpStatusCode.OK, """{"guid": "bp-1", "name": "my_buildpack", "position": 1, "state": "READY", "filename": "my_buildpack.zip"}""");
            });
        using var rav = new Rav(server, fake);
        await rav.LoginAsAdminAsync();
        var zip = Path.Combine(rav.Scratch, "my_buildpack.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            archive.CreateEntry("bin/detect");
        }

        var result = await rav.OkAsync("create-buildpack", "my_buildpack", zip, "1");

        Assert.Contains("Creating buildpack my_buildpack as admin...", result.Out);
        Assert.Contains("Uploaded ", result.Out);
        Assert.Equal("""{"name":"my_buildpack","position":1}""", Assert.Single(bodies).ToJsonString());
        var upload = Assert.Single(uploads);
        Assert.Equal("application/zip", upload.Type);
        Assert.Equal(await File.ReadAllBytesAsync(zip), upload.Bytes);
    }

    [Theory]
    [InlineData("missing.zip", "does not exist")]
    [InlineData("not-a-zip.zip", "is not a zip file")]
    public async Task CreateBuildpack_WithABadFile_FailsBeforeCreatingAnything(string file, string message)
    {
        var fake = new FakeEndpoints();
        using var rav = new Rav(server, fake);
        await rav.LoginAsAdminAsync();
        await File.WriteAllTextAsync(Path.Combine(rav.Scratch, "not-a-zip.zip"), "plain text");
        rav.WorkingDirectory = rav.Scratch;

        var result = await rav.RunAsync("create-buildpack", "bp", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Err);
        Assert.DoesNotContain(fake.Requests, r => r.Contains("/v3/buildpacks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunTask_SubmitsTheCommandAndName()
    {
        var bodies = new ConcurrentQueue<JsonNode>();
        var fake = new FakeEndpoints().On(HttpMethod.Post, "/v3/apps/[^/]+/tasks", async (request, _) =>
        {
            bodies.Enqueue(JsonNode.Parse(await request.Content!.ReadAsStringAsync())!);
            return FakeEndpoints.Json(HttpStatusCode.Accepted, """{"guid": "t-1", "sequence_id": 7, "name": "migrate", "command": "bin/migrate", "state": "RUNNING", "created_at": "2026-11-21T20:00:00Z"}""");
        });
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        var app = await space.CreateAppAsync(server, "svc");

        var result = await rav.OkAsync("run-task", "svc", "bin/migrate", "--name", "migrate");

        Assert.Contains($"POST /v3/apps/{app}/tasks", fake.Requests);
        Assert.Equal("""{"command":"bin/migrate","name":"migrate"}""", Assert.Single(bodies).ToJsonString());
        Assert.Contains($"Creating task for app svc in org {space.Org} / space dev as admin...", result.Out);
        Assert.Matches(@"(?m)^task name:\s+migrate$", result.Out);
        Assert.Matches(@"(?m)^task id:\s+7$", result.Out);
    }

    [Fact]
    public async Task Tasks_AreListedNewestFirst()
    {
        var fake = new FakeEndpoints().On(HttpMethod.Get, "/v3/apps/[^/]+/tasks", (_, _) => FakeEndpoints.Json(HttpStatusCode.OK, """
            {"pagination": {"next": null}, "resources": [
              {"guid": "t-1", "sequence_id": 1, "name": "first", "command": "echo one", "state": "SUCCEEDED", "created_at": "2026-11-21T19:00:00Z"},
              {"guid": "t-2", "sequence_id": 2, "name": "second", "state": "FAILED", "created_at": "2026-11-21T20:00:00Z", "result": {"failure_reason": "exit 1"}}
            ]}
            """));
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        await space.CreateAppAsync(server, "svc");

        var result = await rav.OkAsync("tasks", "svc");

        Assert.Matches(@"id\s+name\s+state\s+start time\s+command", result.Out);
        Assert.Equal(["2", "1"], Screen.FirstColumn(result.Out, "id"));
        Assert.Matches(@"(?m)^2\s+second\s+FAILED\s+2026-11-21T20:00:00Z\s+\[hidden\]$", result.Out);
        Assert.Matches(@"(?m)^1\s+first\s+SUCCEEDED\s+2026-11-21T19:00:00Z\s+echo one$", result.Out);
    }

    [Fact]
    public async Task Buildpacks_AgainstTheRealPlatform_IncludeTheBuiltIns()
    {
        using var rav = new Rav(server);
        await rav.LoginAsAdminAsync();

        var result = await rav.OkAsync("buildpacks");

        Assert.Contains("nodejs_buildpack", result.Out);
        Assert.Contains("binary_buildpack", result.Out);
    }

    [Fact]
    public async Task Tasks_AgainstTheRealPlatform_ListTheSubmittedTask()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        await Droplets.PlantAsync(server, await space.CreateAppAsync(server, "svc"));

        await rav.OkAsync("run-task", "svc", "echo hi", "--name", "hello");
        var result = await rav.OkAsync("tasks", "svc");

        Assert.Matches(@"(?m)^1\s+hello\s+", result.Out);
    }
}
