using System.Text.Json;

namespace Ravioli.Runtime.Local.Tests;

public sealed class ReconcileTests
{
    [Fact]
    public async Task Apply_ScalesOneToThreeToOne_KeepingTheSurvivor()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var specs = Enumerable.Range(0, 3).Select(i => h.Spec(index: i)).ToList();

        // Readers of the state file must never see a torn or partial document, whatever moment they pick.
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (File.Exists(h.StateFile))
                {
                    using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(h.StateFile));
                    Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("desired").ValueKind);
                    reads++;
                }

                await Task.Delay(2);
            }
        });

        await h.Executor.ApplyAsync([specs[0]]);
        var survivor = await h.WaitForStateAsync(specs[0].InstanceGuid, InstanceStates.Running);
        AssertDesired(h, specs[0].InstanceGuid);

        await h.Executor.ApplyAsync(specs);
        var all = new List<InstanceStatus>();
        foreach (var spec in specs)
        {
            all.Add(await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running));
        }

        Assert.Equal([0, 1, 2], h.Executor.Snapshot().Select(s => s.Index));
        Assert.Equal(3, all.Select(s => s.Port).Distinct().Count());
        foreach (var status in all)
        {
            Assert.Equal(status.Port, (await h.GetJsonAsync(status, "/")).GetProperty("port").GetInt32());
        }

        AssertDesired(h, [.. specs.Select(s => s.InstanceGuid)]);

        await h.Executor.ApplyAsync([specs[0]]);
        await h.WaitForAsync(() => h.Executor.Snapshot().Count == 1 ? "" : null, "scale-down to finish");
        // The stop events are written as each stop completes, which can trail the snapshot on a busy machine.
        await h.WaitForAsync(() => h.Events().Count(e => e.Type == InstanceEventTypes.Stopped) >= 2 ? "" : null, "both stop events");
        Assert.Equal(2, h.Events().Count(e => e.Type == InstanceEventTypes.Stopped));
        var remaining = Assert.Single(h.Executor.Snapshot());
        Assert.Equal(survivor.Pid, remaining.Pid);
        Assert.Equal(InstanceStates.Running, remaining.State);
        Assert.Equal(1, h.Events().Count(e => e.Type == InstanceEventTypes.Started && e.InstanceGuid == specs[0].InstanceGuid));
        AssertDesired(h, specs[0].InstanceGuid);
        foreach (var gone in all.Skip(1))
        {
            Assert.False(ExecutorHarness.IsAlive(gone.Pid!.Value) && File.ReadAllText($"/proc/{gone.Pid}/cmdline").Contains(h.Root, StringComparison.Ordinal));
            Assert.False(Directory.Exists(Path.Combine(h.Options.StateDirectory, "instances", gone.InstanceGuid)));
        }

        await h.WaitForAsync(() => JsonDocument.Parse(File.ReadAllText(h.StateFile)).RootElement.GetProperty("instances").GetArrayLength() == 1 ? "" : null, "the state file to drop the stopped instances");
        await stop.CancelAsync();
        await reader;
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task Apply_SameSpecsAgain_ChangesNothing_ChangedSpec_ReplacesTheInstance()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec();
        await h.Executor.ApplyAsync([spec]);
        var first = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);

        // A structurally equal spec (new dictionary instance) is no change: level-triggered, idempotent.
        await h.Executor.ApplyAsync([spec with { Environment = new Dictionary<string, string>(spec.Environment) }]);
        await Task.Delay(500);
        Assert.Equal(first.Pid, h.Status(spec.InstanceGuid)!.Pid);

        var changed = spec with { Environment = new Dictionary<string, string>(spec.Environment) { ["MESSAGE"] = "v2" } };
        await h.Executor.ApplyAsync([changed]);
        var second = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running, s => s.Pid != first.Pid);
        Assert.Equal("v2", (await h.GetJsonAsync(second, "/whoami")).GetProperty("env").GetProperty("MESSAGE").GetString());
        Assert.Contains(h.Events(), e => e.Type == InstanceEventTypes.Stopped && e.Reason == "replaced by a changed spec");
    }

    [Fact]
    public async Task Apply_InvalidSpec_IsRejectedNamingTheField()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var good = h.Spec();

        var badGuid = await Assert.ThrowsAsync<ArgumentException>(() => h.Executor.ApplyAsync([good with { InstanceGuid = "../escape" }]));
        Assert.Contains("desired[0].InstanceGuid", badGuid.Message, StringComparison.Ordinal);
        var badEnv = await Assert.ThrowsAsync<ArgumentException>(() => h.Executor.ApplyAsync([good, h.Spec() with { Environment = new Dictionary<string, string> { ["BAD-NAME"] = "x" } }]));
        Assert.Contains("desired[1].Environment", badEnv.Message, StringComparison.Ordinal);
        var badHealth = await Assert.ThrowsAsync<ArgumentException>(() => h.Executor.ApplyAsync([good with { HealthCheck = new HealthCheckSpec("tcp") }]));
        Assert.Contains("HealthCheck.Type", badHealth.Message, StringComparison.Ordinal);
        var duplicate = await Assert.ThrowsAsync<ArgumentException>(() => h.Executor.ApplyAsync([good, good]));
        Assert.Contains("appears twice", duplicate.Message, StringComparison.Ordinal);
        Assert.Empty(h.Executor.Snapshot());
    }

    [Fact]
    public async Task Apply_CommandEmpty_UsesTheDropletsStartCommand()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(command: "");
        await h.Executor.ApplyAsync([spec]);
        var running = await h.WaitForStateAsync(spec.InstanceGuid, InstanceStates.Running);
        Assert.Equal("ravioli", (await h.GetJsonAsync(running, "/")).GetProperty("hello").GetString());
    }

    [Fact]
    public async Task Apply_MissingDroplet_IsACrashThatBacksOff()
    {
        await using var h = await ExecutorHarness.StartAsync();
        var spec = h.Spec(droplet: Path.Combine(h.Root, "nope.tgz"));
        await h.Executor.ApplyAsync([spec]);

        var crash = await h.WaitForEventAsync(e => e.Type == InstanceEventTypes.Crashed, "crash event");
        Assert.StartsWith("failed to start: droplet ", crash.Reason, StringComparison.Ordinal);
        Assert.Null(crash.ExitCode);
    }

    private static void AssertDesired(ExecutorHarness h, params string[] guids)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(h.StateFile));
        Assert.Equal(
            guids.Order(StringComparer.Ordinal),
            doc.RootElement.GetProperty("desired").EnumerateArray().Select(e => e.GetProperty("instanceGuid").GetString()!).Order(StringComparer.Ordinal));
    }
}
