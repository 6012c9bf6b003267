namespace Ravioli.Core.Apps;

public static class PackageStates
{
    public const string AwaitingUpload = "AWAITING_UPLOAD";
    public const string Ready = "READY";
    public const string Failed = "FAILED";
}

public static class BuildStates
{
    public const string Staging = "STAGING";
    public const string Staged = "STAGED";
    public const string Failed = "FAILED";
}

public static class DropletStates
{
    public const string Staged = "STAGED";
    public const string Expired = "EXPIRED";
}

public static class TaskStates
{
    public const string Running = "RUNNING";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
}

public static class HealthCheckTypes
{
    public const string Port = "port";
    public const string Http = "http";
    public const string Process = "process";

    public static readonly IReadOnlyList<string> All = [Port, Http, Process];
}

/// <summary>Limits and defaults for processes, as Cloud Foundry applies them (defaults scaled for one machine).</summary>
public static class ProcessLimits
{
    public const string WebType = "web";
    public const int DefaultMemoryMb = 256;
    public const int DefaultDiskMb = 1024;
    public const int MaxInstances = 1000;
    public const int MaxMemoryMb = 64 * 1024;
    public const int MaxDiskMb = 64 * 1024;
    public const int DefaultStartTimeoutSeconds = 60;
    public const int MaxStartTimeoutSeconds = 600;
    public const int DefaultInvocationTimeoutSeconds = 1;
    public const int MaxCommandLength = 4096;
}

/// <summary>Everything an instance of one process generation runs with; what the node receives.</summary>
public sealed record RunSpec(
    string DropletGuid,
    string DropletSha256,
    string Command,
    IReadOnlyDictionary<string, string> Environment,
    int MemoryMb,
    int DiskMb,
    string HealthCheckType,
    string? HealthCheckEndpoint,
    int StartTimeoutSeconds,
    int InvocationTimeoutSeconds);
