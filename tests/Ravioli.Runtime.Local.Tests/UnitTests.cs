using System.Text.Json;
using Ravioli.Runtime.Local.Cgroups;
using Ravioli.Runtime.Local.Persistence;
using Ravioli.Runtime.Local.Processes;
using Ravioli.Runtime.Local.Sandbox;
using Ravioli.Runtime.Local.Supervision;

namespace Ravioli.Runtime.Local.Tests;

public sealed class UnitTests
{
    [Fact]
    public void RestartBackoff_DefaultPolicy_IsImmediateThriceThen30sDoublingTo16Minutes()
    {
        var options = new LocalExecutorOptions { StateDirectory = "/tmp/x" };
        var delays = Enumerable.Range(1, 12).Select(n => RestartBackoff.DelayAfter(n, options)).ToList();
        Assert.Equal(
            new[] { 0, 0, 0, 30, 60, 120, 240, 480, 960, 960, 960, 960 }.Select(s => TimeSpan.FromSeconds(s)),
            delays);
        Assert.Equal(TimeSpan.FromMinutes(16), RestartBackoff.DelayAfter(10_000, options));
    }

    [Fact]
    public void ParseStat_CommWithSpacesAndParentheses_StillFindsTheFields()
    {
        var text = "4242 (evil ) (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 987654 1000 25 18446744073709551615";
        var stat = ProcFs.ParseStat(4242, text)!.Value;
        Assert.Equal('S', stat.State);
        Assert.Equal(1, stat.ParentPid);
        Assert.Equal(4242, stat.Session);
        Assert.Equal(10, stat.CpuTicks);
        Assert.Equal(987654UL, stat.StartTime);
        Assert.Equal(25, stat.RssPages);
    }

    [Fact]
    public void IsAlive_SamePidOtherStartTime_IsNotTheSameProcess()
    {
        var self = ProcFs.ReadStat(Environment.ProcessId)!.Value;
        Assert.True(ProcFs.IsAlive(Environment.ProcessId, self.StartTime));
        Assert.False(ProcFs.IsAlive(Environment.ProcessId, self.StartTime + 1));
    }

    [Fact]
    public void CpuShares_AreProportionalToMemory_AndMapOntoV2Weights()
    {
        Assert.Equal(1024, CgroupLimits.CpuSharesFor(1024));
        Assert.Equal(64, CgroupLimits.CpuSharesFor(64));
        Assert.Equal(2, CgroupLimits.CpuSharesFor(1));
        Assert.Equal(262144, CgroupLimits.CpuSharesFor(1_000_000));
        Assert.Equal(1, CgroupLimits.CpuWeightFor(2));
        Assert.Equal(10000, CgroupLimits.CpuWeightFor(262144));
        Assert.True(CgroupLimits.CpuWeightFor(2048) > CgroupLimits.CpuWeightFor(1024));
    }

    [Fact]
    public void CgroupV2_OnAUnifiedTree_EnablesControllersAndWritesLimits()
    {
        // A hand-made stand-in for a pure-v2 host (this machine is hybrid); the kernel would add the files itself.
        var root = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", "fake-v2-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
            File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "");

            var host = CgroupHost.Detect(root, "ravioli", out var problem);

            Assert.Null(problem);
            Assert.Equal("v2", host.Version);
            Assert.Equal(["memory", "pids", "cpu"], host.Enforced);
            Assert.Equal("+memory +pids +cpu", File.ReadAllText(Path.Combine(root, "cgroup.subtree_control")));
            Assert.Equal("+memory +pids +cpu", File.ReadAllText(Path.Combine(root, "ravioli", "cgroup.subtree_control")));

            var dirs = host.Create("instance-1", CgroupLimits.For(512, 100));
            var dir = Assert.Single(dirs);
            Assert.Equal(Path.Combine(root, "ravioli", "instance-1"), dir);
            Assert.Equal((512L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir, "memory.max")));
            Assert.Equal("100", File.ReadAllText(Path.Combine(dir, "pids.max")));
            Assert.Equal(CgroupLimits.CpuWeightFor(512).ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(dir, "cpu.weight")));

            File.WriteAllText(Path.Combine(dir, "memory.current"), "10485760\n");
            File.WriteAllText(Path.Combine(dir, "memory.stat"), "anon 8000000\ninactive_file 2097152\n");
            File.WriteAllText(Path.Combine(dir, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\n");
            Assert.Equal(new CgroupUsage(8388608, 1_500_000), InstanceCgroup.ReadUsage(dirs));

            File.WriteAllText(Path.Combine(dir, "memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
            Assert.False(InstanceCgroup.WasOomKilled(dirs, 137));
            File.WriteAllText(Path.Combine(dir, "memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
            Assert.True(InstanceCgroup.WasOomKilled(dirs, 137));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void CgroupDetect_NothingUsable_SaysWhy()
    {
        var root = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", "fake-none-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "hugetlb\n");
            var host = CgroupHost.Detect(root, "ravioli", out var problem);
            Assert.Equal("none", host.Version);
            Assert.Contains("memory and pids controllers are not available", problem, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void OomVerdict_V1_ReadsTheOomKillCounter()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", "fake-v1-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
            Assert.True(InstanceCgroup.WasOomKilled([dir], 137));
            File.WriteAllText(Path.Combine(dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
            Assert.False(InstanceCgroup.WasOomKilled([dir], 137));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Quote_SurvivesEveryShellMetacharacter()
    {
        Assert.Equal("'it'\\''s $HOME `id` \"x\"'", LaunchFiles.Quote("it's $HOME `id` \"x\""));
    }

    [Fact]
    public void InstanceSpec_ZeroTimeouts_MeanTheDefaults_AndRoundTripThroughTheStateFile()
    {
        var spec = new InstanceSpec("g", "a", "n", "s", "web", 0, "/d.tgz", "run", new Dictionary<string, string> { ["K"] = "v" }, 256, 1024, new HealthCheckSpec("http", "/h"));
        Assert.Equal(TimeSpan.FromSeconds(60), spec.StartTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), spec.StopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), spec.HealthCheck.InvocationTimeout);

        var custom = spec with { StopTimeout = TimeSpan.FromSeconds(3) };
        var json = JsonSerializer.Serialize(new ExecutorStateDocument { Desired = [custom] }, StateStore.Json);
        var back = JsonSerializer.Deserialize<ExecutorStateDocument>(json, StateStore.Json)!.Desired.Single();
        Assert.Equal(SpecFingerprint.Of(custom), SpecFingerprint.Of(back));
        Assert.Equal(TimeSpan.FromSeconds(3), back.StopTimeout);
        Assert.Equal("v", back.Environment["K"]);
        Assert.NotEqual(SpecFingerprint.Of(spec), SpecFingerprint.Of(custom));
    }

    [Fact]
    public async Task StateStore_WritesAtomically_OwnerOnly()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ravioli-runtime-tests", "store-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using var store = new StateStore(dir);
            await store.SaveAsync(() => new ExecutorStateDocument(), CancellationToken.None);
            await store.SaveAsync(() => new ExecutorStateDocument(), CancellationToken.None);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
            Assert.False(File.Exists(store.FilePath + ".tmp"));
            Assert.NotNull(store.Load());

            await File.WriteAllTextAsync(store.FilePath, "{\"version\": 1, \"desired\": [");
            Assert.Throws<InvalidDataException>(() => store.Load());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Options_Invalid_AreRejectedNamingTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => new LocalExecutorOptions { StateDirectory = "/tmp/x", PortRangeEnd = 10 }.Validate());
        Assert.Contains("PortRangeEnd", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LocalExecutorOptions { StateDirectory = "relative" }.Validate());
    }
}
