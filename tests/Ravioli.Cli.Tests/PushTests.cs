using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Ravioli.Cli.Tests.Support;
using Ravioli.Testing;

namespace Ravioli.Cli.Tests;

/// <summary>
/// rav push end to end: the real API for apps, processes, routes, droplets and actions; packages,
/// builds, build logs and instance stats from <see cref="FakeStaging"/> where the server has none yet.
/// </summary>
public sealed class PushTests(RavioliServerFixture server) : IClassFixture<RavioliServerFixture>
{
    private const string ServerScript = "#!/bin/sh\nexec python3 -m http.server \"$PORT\"\n";

    private static string AppDirectory(Rav rav, string name, params (string Path, string Text)[] files)
    {
        var directory = Path.Combine(rav.Scratch, name);
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text.ReplaceLineEndings("\n"));
        }

        Directory.CreateDirectory(directory);
        return directory;
    }

    private async Task<JsonElement?> FindAppAsync(string spaceGuid, string name)
    {
        using var admin = await server.AdminClientAsync();
        var apps = (await admin.GetJsonAsync($"/v3/apps?names={name}&space_guids={spaceGuid}")).Expect(HttpStatusCode.OK).GetProperty("resources");
        return apps.GetArrayLength() == 0 ? null : apps[0];
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var admin = await server.AdminClientAsync();
        return (await admin.GetJsonAsync(path)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Push_ManifestWithATypeError_ExitsOneBeforeSendingAnything()
    {
        var fake = new FakeEndpoints();
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        var dir = AppDirectory(rav, "typo", ("index.html", "hi"), ("manifest.yml", "applications:\n- name: typo-app\n  memory: 256M\n  instances: two\n"));
        var before = fake.Requests.Count;

        var result = await rav.RunAsync("push", "-p", dir);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("manifest.yml line 4: 'instances' must be a whole number, got 'two'", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
        Assert.DoesNotContain(fake.Requests.Skip(before), r => !r.StartsWith("GET ", StringComparison.Ordinal));
        Assert.Null(await FindAppAsync(space.SpaceGuid, "typo-app"));
    }

    [Fact]
    public async Task Push_FromAManifest_CreatesUploadsStagesStartsAndShowsTheUrl()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("hello");
        var dir = AppDirectory(
            rav,
            "hello",
            ("server.sh", ServerScript),
            ("public/index.html", "<h1>hi</h1>"),
            (".git/HEAD", "ref: refs/heads/main"),
            (".cfignore", "*.tmp\n"),
            ("scratch.tmp", "x"),
            ("manifest.yml", $"""
                applications:
                - name: {name}
                  memory: 128M
                  instances: 2
                  buildpacks: [binary_buildpack]
                  env:
                    GREETING: hello
                  health-check-type: http
                  health-check-http-endpoint: /health
                  memroy: 1G
                """));
        File.SetUnixFileMode(Path.Combine(dir, "server.sh"), (UnixFileMode)0b111_101_101);
        rav.WorkingDirectory = dir;

        var result = await rav.OkAsync("push");

        var output = result.Out;
        Assert.Contains($"Using manifest file {dir}/manifest.yml", output);
        Assert.Contains($"Pushing app {name} to org {space.Org} / space dev as admin...", output);
        Assert.Contains($"Creating app {name}...", output);
        Assert.Contains("Mapping routes...", output);
        Assert.Matches($@"(?m)^Uploading {name}\.\.\. \S+ / \S+$", output);
        Assert.Matches(@"(?m)^Uploaded \S+ \(3 files\)$", output);
        Assert.Contains("Staging app and tracing logs...", output);
        Assert.Contains("   -----> Ravioli test buildpack", output);
        Assert.Contains($"Waiting for app {name} to start...", output);
        Assert.Contains("2 of 2 instances running", output);
        Assert.Matches($@"(?m)^routes:\s+http://{name}\.apps\.localhost:8081/$", output);
        Assert.Matches(@"(?m)^requested state:\s+started$", output);
        Assert.Matches(@"(?m)^#1\s+running", output);
        Assert.Contains("manifest.yml line 10: unknown key 'memroy' (ignored)", result.Err);
        Assert.True(output.IndexOf("Uploaded", StringComparison.Ordinal) < output.IndexOf("Staging app", StringComparison.Ordinal));

        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        Assert.Equal("STARTED", app.GetProperty("state").GetString());
        Assert.Equal(["binary_buildpack"], app.GetProperty("lifecycle").GetProperty("data").GetProperty("buildpacks").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal("hello", (await GetAsync($"/v3/apps/{app.Guid()}/environment_variables")).GetProperty("var").GetProperty("GREETING").GetString());
        var web = await GetAsync($"/v3/apps/{app.Guid()}/processes/web");
        Assert.Equal((2, 128, "http", "/health"), (
            web.GetProperty("instances").GetInt32(),
            web.GetProperty("memory_in_mb").GetInt32(),
            web.GetProperty("health_check").GetProperty("type").GetString(),
            web.GetProperty("health_check").GetProperty("data").GetProperty("endpoint").GetString()));
        var route = Assert.Single((await GetAsync($"/v3/apps/{app.Guid()}/routes")).GetProperty("resources").EnumerateArray());
        Assert.Equal($"{name}.apps.localhost", route.GetProperty("url").GetString());
        await GetAsync($"/v3/apps/{app.Guid()}/droplets/current");

        Assert.Equal("application/zip", Assert.Single(staging.UploadContentTypes));
        using var zip = staging.OpenUpload();
        Assert.Equal(["manifest.yml", "public/", "public/index.html", "server.sh"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        Assert.Equal(0b111_101_101, (zip.GetEntry("server.sh")!.ExternalAttributes >>> 16) & 0x1FF);
        Assert.Equal(["binary_buildpack"], staging.BuildRequests.Single()["lifecycle"]!["data"]!["buildpacks"]!.AsArray().Select(b => b!.GetValue<string>()));
    }

    [Fact]
    public async Task Push_AgainToARunningApp_RestartsIt_KeepingItsRoutes()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("again");
        var dir = AppDirectory(rav, "again", ("server.sh", ServerScript));
        await rav.OkAsync("push", name, "-p", dir);
        var extra = Names.Unique("extra");
        await rav.OkAsync("map-route", name, "apps.localhost", "--hostname", extra);

        var second = await rav.OkAsync("push", name, "-p", dir);

        Assert.Contains($"Updating app {name}...", second.Out);
        Assert.DoesNotContain("Mapping routes...", second.Out);
        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        Assert.Contains($"POST /v3/apps/{app.Guid()}/actions/restart", staging.Handler.Requests);
        Assert.Equal(2, (await GetAsync($"/v3/apps/{app.Guid()}/routes")).GetProperty("resources").GetArrayLength());
        Assert.Equal(2, (await GetAsync($"/v3/apps/{app.Guid()}/droplets")).GetProperty("resources").GetArrayLength());
        var routes = second.Out.ReplaceLineEndings("\n").Split('\n').Single(l => l.StartsWith("routes:", StringComparison.Ordinal));
        Assert.Contains($"http://{name}.apps.localhost:8081/", routes);
        Assert.Contains($"http://{extra}.apps.localhost:8081/", routes);
    }

    [Fact]
    public async Task Push_NoStart_StagesButLeavesTheAppStopped()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("idle");

        var result = await rav.OkAsync("push", name, "-p", AppDirectory(rav, "idle", ("server.sh", ServerScript)), "--no-start");

        Assert.Contains($"App {name} is staged and stays stopped (--no-start). Start it with 'rav start {name}'.", result.Out);
        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        Assert.Equal("STOPPED", app.GetProperty("state").GetString());
        await GetAsync($"/v3/apps/{app.Guid()}/droplets/current");
        Assert.DoesNotContain(staging.Handler.Requests, r => r.Contains("/actions/start", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Push_RandomRoute_GivesTheAppAHostWithTwoRandomWords()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("rnd");

        await rav.OkAsync("push", name, "-p", AppDirectory(rav, "rnd", ("server.sh", ServerScript)), "--random-route");

        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        var route = Assert.Single((await GetAsync($"/v3/apps/{app.Guid()}/routes")).GetProperty("resources").EnumerateArray());
        Assert.Matches($@"^{name}-[a-z]+-[a-z]+$", route.GetProperty("host").GetString());
    }

    [Fact]
    public async Task Push_NoRoute_MapsNothing()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("quiet");

        var result = await rav.OkAsync("push", name, "-p", AppDirectory(rav, "quiet", ("server.sh", ServerScript)), "--no-route");

        Assert.DoesNotContain("Mapping routes", result.Out);
        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        Assert.Equal(0, (await GetAsync($"/v3/apps/{app.Guid()}/routes")).GetProperty("resources").GetArrayLength());
    }

    [Fact]
    public async Task Push_ManifestRoutes_AreCreatedAndMapped_OnTheRightDomains()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("routed");
        var apex = $"{Names.Unique("apex")}.example.com";
        await rav.OkAsync("create-domain", space.Org, apex);
        var dir = AppDirectory(rav, "routed", ("server.sh", ServerScript), ("manifest.yml", $"""
            applications:
            - name: {name}
              routes:
              - route: {name}.apps.localhost/api
              - route: {apex}
            """));

        var result = await rav.OkAsync("push", "-f", Path.Combine(dir, "manifest.yml"));

        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        var urls = (await GetAsync($"/v3/apps/{app.Guid()}/routes")).GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("url").GetString()).Order();
        Assert.Equal(new[] { $"{name}.apps.localhost/api", apex }.Order(), urls);
        Assert.Contains($"http://{name}.apps.localhost:8081/api", result.Out);
    }

    [Fact]
    public async Task Push_RouteTakenByAnotherSpace_FailsSuggestingARandomRoute()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("clash");
        await rav.OkAsync("create-space", "other", "-o", space.Org);
        await rav.OkAsync("target", "-s", "other");
        await rav.OkAsync("create-route", "apps.localhost", "--hostname", name);
        await rav.OkAsync("target", "-s", "dev");

        var result = await rav.RunAsync("push", name, "-p", AppDirectory(rav, "clash", ("server.sh", ServerScript)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Route {name}.apps.localhost is already taken by another space.", result.Err);
        Assert.Contains("--random-route", result.Err);
    }

    [Fact]
    public async Task Push_StagingFails_PrintsTheBuildsErrorAndFailed()
    {
        var staging = new FakeStaging(server) { FailStagingWith = "NoBuildpackDetected: No buildpack detected. Looked for: nodejs_buildpack, python_buildpack" };
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("nobp");

        var result = await rav.RunAsync("push", name, "-p", AppDirectory(rav, "nobp", ("README", "nothing to run")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Error staging app {name}: NoBuildpackDetected: No buildpack detected. Looked for: nodejs_buildpack, python_buildpack", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
        Assert.Equal("STOPPED", (await FindAppAsync(space.SpaceGuid, name))!.Value.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Push_AnInstanceCrashes_FailsWithItsReason()
    {
        var staging = new FakeStaging(server) { InstanceState = "CRASHED", CrashDetails = "exited with status 127: ./server.sh: not found" };
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        var name = Names.Unique("crash");

        var result = await rav.RunAsync("push", name, "-p", AppDirectory(rav, "crash", ("server.sh", ServerScript)));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"App {name} crashed: instance #0: exited with status 127: ./server.sh: not found. TIP: use 'rav logs {name} --recent'", result.Err);
    }

    [Fact]
    public async Task Push_SeveralAppsInAManifest_PushesThemInOrder_AndANamePicksOne()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var first = Names.Unique("first");
        var second = Names.Unique("second");
        rav.WorkingDirectory = AppDirectory(
            rav,
            "multi",
            ("a/server.sh", ServerScript),
            ("b/server.sh", ServerScript),
            ("manifest.yml", $"applications:\n- name: {first}\n  path: a\n- name: {second}\n  path: b\n  no-route: true\n"));

        var all = await rav.OkAsync("push");
        var one = await rav.OkAsync("push", second);

        Assert.True(all.Out.IndexOf($"Pushing app {first}", StringComparison.Ordinal) < all.Out.IndexOf($"Pushing app {second}", StringComparison.Ordinal));
        Assert.NotNull(await FindAppAsync(space.SpaceGuid, first));
        Assert.NotNull(await FindAppAsync(space.SpaceGuid, second));
        Assert.DoesNotContain($"Pushing app {first}", one.Out);
        Assert.Contains($"Pushing app {second}", one.Out);
        Assert.Equal(3, staging.Uploads.Count);
    }

    [Fact]
    public async Task Push_FlagsWithSeveralAppsAndNoName_AreRefusedBeforeAnything()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        rav.WorkingDirectory = AppDirectory(rav, "multi", ("x", "x"), ("manifest.yml", "applications:\n- name: one-app\n- name: two-app\n"));

        var result = await rav.RunAsync("push", "-i", "3");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("lists 2 apps", result.Err);
        Assert.Null(await FindAppAsync(space.SpaceGuid, "one-app"));
    }

    [Fact]
    public async Task Push_ProcessesFromTheManifest_ConfigureTheProcfilesTypes()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("procs");
        var dir = AppDirectory(rav, "procs", ("server.sh", ServerScript), ("Procfile", "web: ./server.sh\nworker: ./work.sh\n"), ("manifest.yml", $"""
            applications:
            - name: {name}
              processes:
              - type: web
                command: ./server.sh --fast
                timeout: 30
              - type: worker
                instances: 1
                memory: 64M
                health-check-type: process
              - type: clock
                instances: 1
            """));

        var result = await rav.OkAsync("push", "-p", dir);

        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value.Guid();
        var web = await GetAsync($"/v3/apps/{app}/processes/web");
        var worker = await GetAsync($"/v3/apps/{app}/processes/worker");
        Assert.Equal(("./server.sh --fast", 30), (web.GetProperty("command").GetString(), web.GetProperty("health_check").GetProperty("data").GetProperty("timeout").GetInt32()));
        Assert.Equal((1, 64, "process"), (worker.GetProperty("instances").GetInt32(), worker.GetProperty("memory_in_mb").GetInt32(), worker.GetProperty("health_check").GetProperty("type").GetString()));
        Assert.Contains("Process type 'clock' is not in the droplet", result.Err);
        Assert.Matches(@"(?m)^type:\s+worker$", result.Out);
    }

    [Fact]
    public async Task Push_Flags_OverrideTheManifest()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("flags");
        var dir = AppDirectory(rav, "flags", ("server.sh", ServerScript), ("manifest.yml", $"applications:\n- name: {name}\n  memory: 128M\n  instances: 3\n  buildpacks: [nodejs_buildpack]\n"));

        await rav.OkAsync("push", "-p", dir, "-m", "64M", "-k", "512M", "-b", "binary_buildpack", "-c", "./server.sh", "-u", "none", "-t", "20");

        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        var web = await GetAsync($"/v3/apps/{app.Guid()}/processes/web");
        Assert.Equal((3, 64, 512, "./server.sh", "process", 20), (
            web.GetProperty("instances").GetInt32(),
            web.GetProperty("memory_in_mb").GetInt32(),
            web.GetProperty("disk_in_mb").GetInt32(),
            web.GetProperty("command").GetString(),
            web.GetProperty("health_check").GetProperty("type").GetString(),
            web.GetProperty("health_check").GetProperty("data").GetProperty("timeout").GetInt32()));
        Assert.Equal("binary_buildpack", app.GetProperty("lifecycle").GetProperty("data").GetProperty("buildpacks")[0].GetString());
        Assert.Equal("binary_buildpack", staging.BuildRequests.Single()["lifecycle"]!["data"]!["buildpacks"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData(new[] { "-m", "lots" }, "Invalid size 'lots' for --memory (-m)")]
    [InlineData(new[] { "-i", "many" }, "Invalid number 'many' for --instances (-i)")]
    [InlineData(new[] { "-u", "tcp" }, "Invalid --health-check-type 'tcp'. Use port, http or process.")]
    [InlineData(new[] { "-t", "0" }, "Invalid --timeout '0'")]
    [InlineData(new[] { "--endpoint", "health" }, "Invalid --endpoint 'health'")]
    [InlineData(new[] { "--strategy", "blue-green" }, "Invalid --strategy 'blue-green'")]
    [InlineData(new[] { "--no-route", "--random-route" }, "contradict each other")]
    [InlineData(new[] { "--no-manifest", "-f", "manifest.yml" }, "contradict each other")]
    public async Task Push_InvalidFlags_FailBeforeCreatingTheApp(string[] flags, string message)
    {
        var fake = new FakeEndpoints();
        using var rav = new Rav(server, fake);
        var space = await TestSpace.CreateAsync(rav);
        var before = fake.Requests.Count;

        var result = await rav.RunAsync(["push", "bad-flags", "-p", AppDirectory(rav, "bad", ("server.sh", ServerScript)), .. flags]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Err);
        Assert.DoesNotContain(fake.Requests.Skip(before), r => !r.StartsWith("GET ", StringComparison.Ordinal));
        Assert.Null(await FindAppAsync(space.SpaceGuid, "bad-flags"));
    }

    [Fact]
    public async Task Push_WithoutANameOrManifest_SaysWhatItNeeds()
    {
        using var rav = new Rav(server);
        await TestSpace.CreateAsync(rav);

        var result = await rav.RunAsync("push");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("rav push needs an app name", result.Err);
    }

    [Fact]
    public async Task Push_ASymlinkLeavingTheApp_IsRefusedBeforeTheAppIsCreated()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var dir = AppDirectory(rav, "leaky", ("server.sh", ServerScript));
        File.CreateSymbolicLink(Path.Combine(dir, "passwd"), "/etc/passwd");

        var result = await rav.RunAsync("push", "leaky", "-p", dir);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("passwd is a symlink to /etc/passwd, which is outside the app directory", result.Err);
        Assert.Null(await FindAppAsync(space.SpaceGuid, "leaky"));
    }

    [Fact]
    public async Task Push_RouterUrlFromTheEnvironment_IsUsedForTheAppsUrl()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        rav.Variables["RAV_ROUTER_URL"] = "http://127.0.0.1:9999";
        var name = Names.Unique("port");

        var result = await rav.OkAsync("push", name, "-p", AppDirectory(rav, "port", ("server.sh", ServerScript)));

        Assert.Matches($@"(?m)^routes:\s+http://{name}\.apps\.localhost:9999/$", result.Out);
    }

    [Fact]
    public async Task Push_RouterPortAdvertisedByTheApi_IsUsedForTheAppsUrl()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        staging.Handler.On(HttpMethod.Get, "/", (_, _) => FakeEndpoints.Json(HttpStatusCode.OK, """{"ravioli": {"api_version": "3", "router_port": 9191}}"""));
        var name = Names.Unique("advertised");

        var result = await rav.OkAsync("push", name, "-p", AppDirectory(rav, "advertised", ("server.sh", ServerScript)));

        Assert.Matches($@"(?m)^routes:\s+http://{name}\.apps\.localhost:9191/$", result.Out);
    }

    [Fact]
    public async Task Push_OnATerminal_DrawsUploadProgressOnStderr()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler) { ErrorIsTerminal = true };
        await TestSpace.CreateAsync(rav);
        var name = Names.Unique("tty");

        var result = await rav.OkAsync("push", name, "-p", AppDirectory(rav, "tty", ("server.sh", ServerScript)));

        Assert.Contains($"\rUploading {name}... ", result.Err);
        Assert.DoesNotContain($"Uploading {name}", result.Out);
        Assert.Contains("Uploaded ", result.Out);
    }

    [Fact]
    public async Task Push_Json_PrintsOnlyTheSummaryOfEachApp()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        var name = Names.Unique("json");

        var result = await rav.OkAsync("push", name, "-p", AppDirectory(rav, "json", ("server.sh", ServerScript)), "--json");

        var summary = Assert.Single(result.Json().EnumerateArray());
        Assert.Equal(name, summary.GetProperty("app").GetProperty("name").GetString());
        Assert.Equal("STARTED", summary.GetProperty("app").GetProperty("state").GetString());
        Assert.Equal("RUNNING", summary.GetProperty("processes")[0].GetProperty("stats")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Push_AJarFile_IsUploadedAsItIs()
    {
        var staging = new FakeStaging(server);
        using var rav = new Rav(server, staging.Handler);
        await TestSpace.CreateAsync(rav);
        var jar = Path.Combine(rav.Scratch, "app.jar");
        using (var archive = ZipFile.Open(jar, ZipArchiveMode.Create))
        {
            archive.CreateEntry("Main.class");
        }

        var result = await rav.OkAsync("push", Names.Unique("jar"), "-p", jar);

        Assert.Matches(@"(?m)^Uploaded \S+ \(1 files\)$", result.Out);
        Assert.Equal(await File.ReadAllBytesAsync(jar), staging.Uploads.Values.Single());
    }

    [Fact]
    public async Task Push_AgainstTheRealPlatform_StagesTheApp_AndMakesItsDropletCurrent()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("real");
        var dir = AppDirectory(rav, "real", ("server.sh", ServerScript), ("Procfile", "web: ./server.sh\n"), (".git/HEAD", "x"));
        File.SetUnixFileMode(Path.Combine(dir, "server.sh"), (UnixFileMode)0b111_101_101);

        var result = await rav.OkAsync("push", name, "-p", dir, "-b", "binary_buildpack", "--no-start");

        Assert.Contains("Staging app and tracing logs...", result.Out);
        Assert.Contains($"   Staging {name} (build ", result.Out);
        Assert.Matches(@"(?m)^Uploaded \S+ \(2 files\)$", result.Out);
        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        Assert.Equal("STOPPED", app.GetProperty("state").GetString());
        Assert.Equal("./server.sh", (await GetAsync($"/v3/apps/{app.Guid()}/droplets/current")).GetProperty("process_types").GetProperty("web").GetString());
        Assert.Matches(@"staged \(current\)\s+\S+\s+binary_buildpack", (await rav.OkAsync("droplets", name)).Out);
        var package = Assert.Single((await GetAsync($"/v3/apps/{app.Guid()}/packages")).GetProperty("resources").EnumerateArray());
        Assert.Equal("READY", package.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Push_AgainstTheRealPlatform_StartsTheApp_AndSaysWhenItsInstancesCannotBeSeen()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("started");
        var dir = AppDirectory(rav, "started", ("server.sh", ServerScript), ("Procfile", "web: ./server.sh\n"));

        var result = await rav.OkAsync("push", name, "-p", dir, "-b", "binary_buildpack");

        // The test platform runs no node agent, so the API cannot say how the instances are doing.
        Assert.Contains($"Cannot see whether the instances of {name} are running", result.Err);
        Assert.Matches(@"(?m)^requested state:\s+started$", result.Out);
        Assert.Matches($@"(?m)^routes:\s+http://{name}\.apps\.localhost:8081/$", result.Out);
        Assert.Equal("STARTED", (await FindAppAsync(space.SpaceGuid, name))!.Value.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Push_AgainstTheRealPlatform_WhenNoBuildpackFits_ShowsTheBuildsError()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("nothing");

        var result = await rav.RunAsync("push", name, "-p", AppDirectory(rav, "nothing", ("notes.txt", "no app here")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"Error staging app {name}: ", result.Err);
        Assert.EndsWith("FAILED", result.Err.TrimEnd());
        Assert.Equal("STOPPED", (await FindAppAsync(space.SpaceGuid, name))!.Value.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Restage_AgainstTheRealPlatform_StagesTheLatestPackageAgain()
    {
        using var rav = new Rav(server);
        var space = await TestSpace.CreateAsync(rav);
        var name = Names.Unique("restage");
        var dir = AppDirectory(rav, "restage", ("server.sh", ServerScript), ("Procfile", "web: ./server.sh\n"));
        await rav.OkAsync("push", name, "-p", dir, "-b", "binary_buildpack", "--no-start");

        var result = await rav.OkAsync("restage", name);

        Assert.Contains($"Restaging app {name} in org {space.Org} / space dev as admin...", result.Out);
        Assert.Contains("Staging app and tracing logs...", result.Out);
        var app = (await FindAppAsync(space.SpaceGuid, name))!.Value;
        Assert.Equal("STARTED", app.GetProperty("state").GetString());
        Assert.Equal(2, (await GetAsync($"/v3/apps/{app.Guid()}/droplets")).GetProperty("resources").GetArrayLength());
    }
}
