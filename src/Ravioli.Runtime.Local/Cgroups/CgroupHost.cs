namespace Ravioli.Runtime.Local.Cgroups;

/// <summary>The cgroup hierarchy found on this host at start; creates one group per instance run with its limits.</summary>
internal abstract class CgroupHost
{
    public abstract string Version { get; }

    public abstract IReadOnlyList<string> Enforced { get; }

    /// <summary>Why instances get no socket rules (<see cref="PortFilter"/>) on this host; null when they do.</summary>
    public string? PortFilterProblem { get; protected init; } = "no cgroups";

    /// <summary>Creates the instance's group(s) with <paramref name="limits"/>; returns one directory per hierarchy the wrapper must join.</summary>
    public abstract IReadOnlyList<string> Create(string name, CgroupLimits limits);

    /// <summary>
    /// Detects v1 (per-controller hierarchies; also the hybrid layout) or v2 (unified) below <paramref name="root"/>
    /// and proves it writable by creating and removing a probe group. Returns <see cref="NoCgroups"/> with a reason otherwise.
    /// </summary>
    public static CgroupHost Detect(string root, string parent, out string? problem)
    {
        var problems = new List<string>();

        // Pure v2 mounts cgroup2 at the root; hybrid hosts mount v1 controllers at root/<controller> and v2 at root/unified.
        if (File.Exists(Path.Combine(root, "memory", "memory.limit_in_bytes")))
        {
            if (CgroupV1Host.TryCreate(root, parent, out var v1, out var why))
            {
                problem = null;
                return v1;
            }

            problems.Add($"cgroup v1 at {root}: {why}");
        }

        foreach (var candidate in new[] { root, Path.Combine(root, "unified") })
        {
            if (!File.Exists(Path.Combine(candidate, "cgroup.controllers")))
            {
                continue;
            }

            if (CgroupV2Host.TryCreate(candidate, parent, out var v2, out var why))
            {
                problem = null;
                return v2;
            }

            problems.Add($"cgroup v2 at {candidate}: {why}");
        }

        problem = problems.Count == 0 ? $"no cgroup v1 memory controller or cgroup v2 hierarchy under {root}" : string.Join("; ", problems);
        return new NoCgroups();
    }

    protected static void Write(string directory, string file, string value) => File.WriteAllText(Path.Combine(directory, file), value);

    /// <summary>
    /// Creates <paramref name="parent"/> in the cgroup v2 hierarchy at <paramref name="hierarchy"/> (the unified tree, or
    /// the hybrid host's root/unified, which holds every process too) and proves the kernel attaches the port filter there.
    /// </summary>
    protected static (string? Directory, string? Problem) PrepareFilterParent(string hierarchy, string parent)
    {
        if (!File.Exists(Path.Combine(hierarchy, "cgroup.procs")))
        {
            return (null, $"no cgroup v2 hierarchy at {hierarchy} to attach socket rules to");
        }

        var dir = Path.Combine(hierarchy, parent);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }

        var problem = PortFilter.Probe(dir);
        return problem is null ? (dir, null) : (null, $"the kernel refused the socket rules: {problem}");
    }

    /// <summary>Removes a leftover group of the same name (a previous run); a group still holding processes cannot be reused.</summary>
    protected static void EnsureFresh(string directory)
    {
        if (Directory.Exists(directory) && !InstanceCgroup.TryRemove([directory]))
        {
            throw new IOException($"cgroup {directory} still holds processes of a previous run");
        }
    }
}

/// <summary>No usable cgroups: instances run without kernel limits (the executor warns loudly).</summary>
internal sealed class NoCgroups : CgroupHost
{
    public override string Version => "none";

    public override IReadOnlyList<string> Enforced => [];

    public override IReadOnlyList<string> Create(string name, CgroupLimits limits) => [];
}

/// <summary>cgroup v1: one directory per controller (memory, pids, cpu, cpuacct), as on hybrid hosts.</summary>
internal sealed class CgroupV1Host : CgroupHost
{
    private static readonly string[] Controllers = ["memory", "pids", "cpu", "cpuacct"];

    private readonly IReadOnlyDictionary<string, string> _parents;
    private readonly bool _memsw;
    private readonly string? _filterParent;

    private CgroupV1Host(IReadOnlyDictionary<string, string> parents, bool memsw, IReadOnlyList<string> enforced, string? filterParent = null, string? filterProblem = null)
    {
        _parents = parents;
        _memsw = memsw;
        _filterParent = filterParent;
        Enforced = enforced;
        PortFilterProblem = filterParent is null ? filterProblem ?? "not probed" : null;
    }

    public override string Version => "v1";

    public override IReadOnlyList<string> Enforced { get; }

    public static bool TryCreate(string root, string parent, out CgroupHost host, out string? problem)
    {
        host = new NoCgroups();
        var parents = new Dictionary<string, string>();
        try
        {
            foreach (var controller in Controllers)
            {
                var mount = Path.Combine(root, controller);
                if (!File.Exists(Path.Combine(mount, "cgroup.procs")))
                {
                    continue;
                }

                // Co-mounted controllers (cpu,cpuacct) appear under two names for one directory: join it once.
                var resolved = new DirectoryInfo(mount).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? mount;
                var dir = Path.Combine(resolved, parent);
                Directory.CreateDirectory(dir);
                parents[controller] = dir;
            }

            if (!parents.TryGetValue("memory", out var memoryParent))
            {
                problem = "no memory controller";
                return false;
            }

            var probe = new CgroupV1Host(parents, memsw: false, []);
            var dirs = probe.Create($"probe-{Guid.NewGuid():N}", CgroupLimits.For(64, 64));
            var memsw = File.Exists(Path.Combine(memoryParent, "memory.memsw.limit_in_bytes"));
            if (!InstanceCgroup.TryRemove(dirs))
            {
                problem = "cannot remove a probe group";
                return false;
            }

            var enforced = new List<string> { "memory" };
            if (memsw)
            {
                enforced.Add("memory+swap");
            }

            enforced.AddRange(parents.Keys.Where(c => c is "pids" or "cpu"));
            // The v1 controllers cannot carry eBPF programs; a hybrid host's v2 tree can, in a group of its own.
            var (filterParent, filterProblem) = PrepareFilterParent(Path.Combine(root, "unified"), parent);
            if (filterParent is not null)
            {
                enforced.Add("ports");
            }

            host = new CgroupV1Host(parents, memsw, enforced, filterParent, filterProblem);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
    }

    public override IReadOnlyList<string> Create(string name, CgroupLimits limits)
    {
        var dirs = new List<string>();
        if (_filterParent is not null && limits.Ports is { } ports)
        {
            // First in the list: it has a cpu.stat of its own, which the v1 cpuacct figure read after it overrides.
            var filtered = Path.Combine(_filterParent, name);
            EnsureFresh(filtered);
            Directory.CreateDirectory(filtered);
            dirs.Add(filtered);
            PortFilter.Attach(filtered, ports);
        }

        foreach (var dir in _parents.Values.Distinct().Select(p => Path.Combine(p, name)))
        {
            EnsureFresh(dir);
            Directory.CreateDirectory(dir);
            dirs.Add(dir);
        }

        foreach (var (controller, parentDir) in _parents)
        {
            var dir = Path.Combine(parentDir, name);
            switch (controller)
            {
                case "memory":
                    Write(dir, "memory.limit_in_bytes", Invariant(limits.MemoryBytes));
                    // Without the memsw limit an app could push its overflow into swap and never be OOM-killed.
                    if (_memsw || File.Exists(Path.Combine(dir, "memory.memsw.limit_in_bytes")))
                    {
                        Write(dir, "memory.memsw.limit_in_bytes", Invariant(limits.MemoryBytes));
                    }

                    break;
                case "pids":
                    Write(dir, "pids.max", Invariant(limits.PidsMax));
                    break;
                case "cpu":
                    Write(dir, "cpu.shares", Invariant(limits.CpuShares));
                    break;
                default:
                    break;
            }
        }

        return dirs;
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>cgroup v2: one directory per instance below a parent with the memory, pids and cpu controllers delegated.</summary>
internal sealed class CgroupV2Host : CgroupHost
{
    private readonly string _parentDir;
    private readonly IReadOnlySet<string> _controllers;
    private readonly bool _portFilter;

    private CgroupV2Host(string parentDir, IReadOnlySet<string> controllers, IReadOnlyList<string> enforced, string? filterProblem = "not probed")
    {
        _parentDir = parentDir;
        _controllers = controllers;
        _portFilter = filterProblem is null;
        Enforced = enforced;
        PortFilterProblem = filterProblem;
    }

    public override string Version => "v2";

    public override IReadOnlyList<string> Enforced { get; }

    public static bool TryCreate(string root, string parent, out CgroupHost host, out string? problem)
    {
        host = new NoCgroups();
        try
        {
            var available = File.ReadAllText(Path.Combine(root, "cgroup.controllers"))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .ToHashSet(StringComparer.Ordinal);
            if (!available.Contains("memory") || !available.Contains("pids"))
            {
                problem = $"the memory and pids controllers are not available (found: {string.Join(' ', available)})";
                return false;
            }

            var wanted = new[] { "memory", "pids", "cpu" }.Where(available.Contains).ToHashSet(StringComparer.Ordinal);
            var parentDir = Path.Combine(root, parent);
            Directory.CreateDirectory(parentDir);

            // Controllers must be enabled on every level above the instance groups. The parent holds no
            // processes itself, so the "no internal processes" rule is kept.
            EnableControllers(root, wanted);
            EnableControllers(parentDir, wanted);

            var probe = new CgroupV2Host(parentDir, wanted, []);
            var dirs = probe.Create($"probe-{Guid.NewGuid():N}", CgroupLimits.For(64, 64));
            var swap = File.Exists(Path.Combine(dirs[0], "memory.swap.max"));
            InstanceCgroup.TryRemove(dirs);

            var enforced = new List<string> { "memory" };
            if (swap)
            {
                enforced.Add("memory+swap");
            }

            enforced.Add("pids");
            if (wanted.Contains("cpu"))
            {
                enforced.Add("cpu");
            }

            var (filterParent, filterProblem) = PrepareFilterParent(root, parent);
            if (filterParent is not null)
            {
                enforced.Add("ports");
            }

            host = new CgroupV2Host(parentDir, wanted, enforced, filterProblem);
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
    }

    public override IReadOnlyList<string> Create(string name, CgroupLimits limits)
    {
        var dir = Path.Combine(_parentDir, name);
        EnsureFresh(dir);
        Directory.CreateDirectory(dir);
        Write(dir, "memory.max", Invariant(limits.MemoryBytes));
        // Zero swap: the memory limit is the whole budget, as with v1's memsw limit.
        if (File.Exists(Path.Combine(dir, "memory.swap.max")))
        {
            Write(dir, "memory.swap.max", "0");
        }

        Write(dir, "pids.max", Invariant(limits.PidsMax));
        if (_controllers.Contains("cpu"))
        {
            Write(dir, "cpu.weight", Invariant(CgroupLimits.CpuWeightFor(limits.CpuShares)));
        }

        if (_portFilter && limits.Ports is { } ports)
        {
            PortFilter.Attach(dir, ports);
        }

        return [dir];
    }

    private static void EnableControllers(string dir, IReadOnlyCollection<string> controllers)
    {
        var file = Path.Combine(dir, "cgroup.subtree_control");
        var current = File.Exists(file) ? File.ReadAllText(file) : string.Empty;
        var enabled = current.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var missing = controllers.Where(c => !enabled.Contains(c)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        try
        {
            File.WriteAllText(file, string.Join(' ', missing.Select(c => "+" + c)));
        }
        catch (IOException)
        {
            // The kernel rejects the whole line if one controller cannot be enabled; enable what can be, one by one.
            foreach (var controller in missing)
            {
                try
                {
                    File.WriteAllText(file, "+" + controller);
                }
                catch (IOException) when (controller == "cpu")
                {
                    // cpu is optional (it refuses while a realtime task sits in the subtree); memory and pids are not.
                }
            }
        }
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
