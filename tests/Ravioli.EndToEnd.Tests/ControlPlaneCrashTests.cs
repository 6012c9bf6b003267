using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Ravioli.EndToEnd.Tests;

/// <summary>
/// The control plane SIGKILLed at each named step of push, staging, start and scale (RAVIOLI_FAULT_KILL_AT, see
/// docs/reliability.md), restarted unarmed, and the whole platform checked: nothing stays in progress, blobs and rows
/// agree, the node runs exactly what is desired (no duplicates, no strays), and the app serves (after a re-push where
/// the kill came before the app was started, as a user would do after `rav push` failed).
/// </summary>
public sealed class ControlPlaneCrashTests(Platform platform, ITestOutputHelper output) : IClassFixture<Platform>
{
    private const string PushOperation = "push";
    private const string ScaleOperation = "scale";
    private const string RestartOperation = "restart";

    public static TheoryData<string, string> Points => new()
    {
        { "push.app-created", PushOperation },
        { "push.route-created", PushOperation },
        { "push.route-mapped", PushOperation },
        { "push.package-created", PushOperation },
        { "push.bits-received", PushOperation },
        { "push.bits-stored", PushOperation },
        { "push.package-ready", PushOperation },
        { "staging.build-created", PushOperation },
        { "staging.started", PushOperation },
        { "staging.droplet-stored", PushOperation },
        { "staging.staged", PushOperation },
        { "staging.droplet-current", PushOperation },
        { "start.committed", PushOperation },
        { "scale.committed", ScaleOperation },
        { "desired.changed-served", ScaleOperation },
        { "restart.committed", RestartOperation },
    };

    [Theory]
    [MemberData(nameof(Points))]
    public async Task A_kill_at_each_step_leaves_a_consistent_platform(string point, string operation)
    {
        var app = "crash-" + point.Replace('.', '-');
        var directory = await PushTests.CopySampleAsync("static");
        // Bits of their own: blobs are content-addressed, so identical bits would already be named by an earlier case's rows.
        await File.WriteAllTextAsync(Path.Combine(directory, "case.txt"), point);
        try
        {
            if (operation != PushOperation)
            {
                await PushAsync(directory, app);
            }
            await platform.KillControlPlaneAsync();
            await platform.StartAsync(new Dictionary<string, string> { ["RAVIOLI_FAULT_KILL_AT"] = point });
            var armed = platform.ControlPlane!;
            var run = Operation(directory, app, operation);
            try
            {
                await armed.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"the control plane never reached {point}: {await run}\n{Tail(platform.Output)}");
            }
            Assert.Contains($"fault injected: killed at {point}", platform.Output, StringComparison.Ordinal);
            var before = platform.Output.Length;
            await platform.StartAsync();
            var interrupted = await run;
            var recovered = platform.Output[before..].Split('\n').Where(l => l.Contains("unclean stop", StringComparison.Ordinal)).Select(l => l.Trim());
            output.WriteLine($"{point}: the interrupted `rav {operation}` exited {interrupted.ExitCode}; {string.Join(' ', recovered.DefaultIfEmpty("nothing to sweep at restart"))}");

            await AssertNothingInProgressAsync();
            await AssertBlobsMatchRowsAsync();

            // Once the start (or scale, or restart) is committed, the app must serve with no help; before that the user pushes again.
            var committed = operation != PushOperation || point == "start.committed";
            if (!committed || !await ServesAsync(app, TimeSpan.FromSeconds(committed ? 120 : 1)))
            {
                Assert.False(committed, $"{app} did not serve after the restart although its start was committed");
                var again = await Operation(directory, app, operation);
                Assert.True(again.ExitCode == 0, $"the repeated `rav {operation}` failed: {again}");
            }
            Assert.True(await ServesAsync(app, TimeSpan.FromMinutes(2)), $"{app} does not answer 200 through the router");

            var desired = operation == ScaleOperation ? 2 : 1;
            await AssertNodeRunsExactlyAsync(app, desired);
            await AssertNothingInProgressAsync();
            await AssertBlobsMatchRowsAsync();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private Task<Platform.Result> Operation(string directory, string app, string operation) => operation switch
    {
        PushOperation => platform.RavInAsync(directory, "push", app, "--no-manifest", "-m", "64M"),
        ScaleOperation => platform.RavAsync("scale", app, "-i", "2"),
        _ => platform.RavAsync("restart", app),
    };

    private async Task PushAsync(string directory, string app)
    {
        var push = await Operation(directory, app, PushOperation);
        Assert.True(push.ExitCode == 0, push.ToString());
    }

    private async Task<bool> ServesAsync(string app, TimeSpan within)
    {
        using var client = platform.Router($"{app}.apps.localhost");
        var deadline = DateTime.UtcNow + within;
        do
        {
            if ((await Platform.GetAsync(client)).StartsWith("200", StringComparison.Ordinal))
            {
                return true;
            }
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    /// <summary>No build STAGING and no package between states once the restarted platform had time to recover (stagings are re-run).</summary>
    private async Task AssertNothingInProgressAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        List<string[]> staging;
        while ((staging = await platform.QueryAsync("SELECT guid, app_guid FROM builds WHERE state = 'STAGING'")).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1000);
        }
        Assert.True(staging.Count == 0, $"builds stuck STAGING: {string.Join(", ", staging.Select(r => r[0]))}");
        var failed = await platform.QueryAsync("SELECT guid, error FROM builds WHERE state = 'FAILED' AND (error IS NULL OR error = '')");
        Assert.True(failed.Count == 0, $"failed builds without a message: {string.Join(", ", failed.Select(r => r[0]))}");
        // AWAITING_UPLOAD waits for the client, not for the platform (the upload endpoint still takes the bits); nothing else may linger.
        var packages = await platform.QueryAsync("SELECT guid, state FROM packages WHERE state NOT IN ('READY', 'FAILED', 'AWAITING_UPLOAD')");
        Assert.True(packages.Count == 0, $"packages in an unexpected state: {string.Join(", ", packages.Select(r => string.Join(' ', r)))}");
        var ready = await platform.QueryAsync("SELECT guid FROM packages WHERE state = 'READY' AND blob_key IS NULL");
        Assert.True(ready.Count == 0, $"READY packages without bits: {string.Join(", ", ready.Select(r => r[0]))}");
    }

    /// <summary>Every blob is named by a row and every row's blob exists; no upload is half-received; no staging directory is left.</summary>
    private async Task AssertBlobsMatchRowsAsync()
    {
        var rows = (await platform.QueryAsync(
                "SELECT blob_key FROM packages WHERE blob_key IS NOT NULL UNION SELECT blob_key FROM droplets WHERE blob_key IS NOT NULL UNION SELECT blob_key FROM buildpacks WHERE blob_key IS NOT NULL"))
            .Select(r => r[0]).ToHashSet(StringComparer.Ordinal);
        var root = Path.Combine(platform.DataDirectory, "blobs");
        var files = Directory.EnumerateDirectories(root).Where(d => Path.GetFileName(d).Length == 2)
            .SelectMany(Directory.EnumerateFiles).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        Assert.True(rows.Except(files!).ToList() is { Count: 0 }, $"rows name missing blobs: {string.Join(", ", rows.Except(files!))}");
        Assert.True(files.Except(rows).ToList() is { Count: 0 }, $"orphaned blobs: {string.Join(", ", files.Except(rows))}");
        var incoming = Directory.EnumerateFiles(Path.Combine(root, "incoming")).ToList();
        Assert.True(incoming.Count == 0, $"half-received uploads left in blobs/incoming: {string.Join(", ", incoming)}");
        var stagingRoot = Path.Combine(platform.DataDirectory, "staging");
        var work = Directory.Exists(stagingRoot) ? Directory.EnumerateDirectories(stagingRoot).ToList() : [];
        Assert.True(work.Count == 0, $"staging work directories left: {string.Join(", ", work)}");
    }

    /// <summary>
    /// The node's executor state holds exactly <paramref name="instances"/> live instances of the app, one per index,
    /// and no process on the machine that mentions the data directory is anything but the platform or one of the node's instances.
    /// </summary>
    private async Task AssertNodeRunsExactlyAsync(string app, int instances)
    {
        var appGuid = (await platform.QueryAsync($"SELECT guid FROM apps WHERE name = '{app}'")).Single()[0];
        var deadline = DateTime.UtcNow.AddMinutes(2);
        string problem;
        while (true)
        {
            var records = ReadInstances();
            var mine = records.Where(r => r.AppGuid == appGuid).ToList();
            var live = mine.Where(r => r.WrapperPid is { } pid && Directory.Exists($"/proc/{pid}")).ToList();
            problem = "";
            if (live.Count != instances || live.Select(r => r.Index).Distinct().Count() != instances || mine.Count != live.Count)
            {
                problem = $"the node runs {live.Count} live of {mine.Count} recorded instances of {app} (indexes {string.Join(",", live.Select(r => r.Index))}); {instances} desired";
            }
            else if (StrayProcesses(records) is { Count: > 0 } strays)
            {
                problem = $"processes the node does not know: {string.Join(" | ", strays)}";
            }
            if (problem.Length == 0 || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(1000);
        }
        Assert.True(problem.Length == 0, problem);
    }

    private sealed record InstanceRecord(string AppGuid, int Index, int? WrapperPid, string Directory);

    private List<InstanceRecord> ReadInstances()
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(platform.DataDirectory, "executor", "state.json")));
        return [.. state.RootElement.GetProperty("instances").EnumerateArray().Select(i => new InstanceRecord(
            i.GetProperty("spec").GetProperty("appGuid").GetString()!,
            i.GetProperty("spec").GetProperty("index").GetInt32(),
            i.TryGetProperty("wrapperPid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : null,
            i.GetProperty("instanceDirectory").GetString()!))];
    }

    /// <summary>Processes whose command line names this platform's data directory but that are neither its servers nor a known instance (e.g. a staging sandbox that outlived its control plane).</summary>
    private List<string> StrayProcesses(List<InstanceRecord> known)
    {
        var strays = new List<string>();
        foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (!commandLine.Contains(platform.DataDirectory, StringComparison.Ordinal)
                || commandLine.Contains("Ravioli.Server.dll", StringComparison.Ordinal) || commandLine.Contains("Ravioli.Node.dll", StringComparison.Ordinal)
                || commandLine.Contains("import sys, sqlite3", StringComparison.Ordinal)
                || known.Any(k => commandLine.Contains(k.Directory, StringComparison.Ordinal)))
            {
                continue;
            }
            strays.Add($"{Path.GetFileName(proc)}: {commandLine}");
        }
        return strays;
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
