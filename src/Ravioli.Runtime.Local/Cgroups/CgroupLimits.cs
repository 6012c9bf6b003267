namespace Ravioli.Runtime.Local.Cgroups;

/// <summary>The kernel limits of one instance.</summary>
internal sealed record CgroupLimits(long MemoryBytes, int PidsMax, long CpuShares)
{
    /// <summary>The instance's socket rules, where the host can enforce them (<see cref="CgroupHost.PortFilterProblem"/> is null).</summary>
    public PortPolicy? Ports { get; init; }

    public static CgroupLimits For(int memoryMb, int pidsMax) => new(memoryMb * 1024L * 1024L, pidsMax, CpuSharesFor(memoryMb));

    /// <summary>
    /// Cloud Foundry gives CPU in proportion to memory. One v1 share per MiB makes a 1 GiB instance weigh
    /// exactly the kernel's default (1024 shares); the clamp is the kernel's accepted range [2, 262144].
    /// </summary>
    public static long CpuSharesFor(int memoryMb) => Math.Clamp((long)memoryMb, 2, 262144);

    /// <summary>The shares→weight mapping runc, systemd and Kubernetes use ([2, 262144] → [1, 10000]), so proportions survive on v2.</summary>
    public static long CpuWeightFor(long shares) => 1 + ((Math.Clamp(shares, 2, 262144) - 2) * 9999 / 262142);
}

/// <summary>Memory in use (without reclaimable page cache) and CPU time consumed by an instance's cgroup.</summary>
internal readonly record struct CgroupUsage(long MemoryBytes, long CpuNanoseconds);
