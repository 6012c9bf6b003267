using Microsoft.Extensions.Logging;

namespace Ravioli.Runtime.Local.Diagnostics;

/// <summary>Every log line of the local runtime. Instance environments are never logged: they carry credentials.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Isolation: sandbox {Sandbox}, cgroups {CgroupVersion}, enforced limits: {Limits}")]
    public static partial void IsolationDetected(ILogger logger, string sandbox, string cgroupVersion, string limits);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "ISOLATION DEGRADED — instances run {Consequence}: {Problem}")]
    public static partial void IsolationDegraded(ILogger logger, string consequence, string problem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Loaded executor state: {Desired} desired instances, {Known} known instances")]
    public static partial void StateLoaded(ILogger logger, int desired, int known);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Instance {InstanceGuid} ({AppName}/{ProcessType}#{Index}) started: wrapper pid {Pid}, port {Port}")]
    public static partial void Started(ILogger logger, string instanceGuid, string appName, string processType, int index, int pid, int port);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Instance {InstanceGuid} ({AppName}/{ProcessType}#{Index}) is running (healthy)")]
    public static partial void Running(ILogger logger, string instanceGuid, string appName, string processType, int index);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Instance {InstanceGuid} ({AppName}/{ProcessType}#{Index}) crashed: {Reason} (exit code {ExitCode}, crash {CrashCount}); restart at {NextRestartAt:O}")]
    public static partial void Crashed(ILogger logger, string instanceGuid, string appName, string processType, int index, string reason, int? exitCode, int crashCount, DateTimeOffset nextRestartAt);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Instance {InstanceGuid} ({AppName}/{ProcessType}#{Index}) stopped: {Reason}")]
    public static partial void Stopped(ILogger logger, string instanceGuid, string appName, string processType, int index, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Instance {InstanceGuid} re-adopted: wrapper pid {Pid} is still running")]
    public static partial void Adopted(ILogger logger, string instanceGuid, int pid);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Instance {InstanceGuid} ended while no executor watched it; handling it as a crash")]
    public static partial void EndedWhileAway(ILogger logger, string instanceGuid);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Instance {InstanceGuid} ({AppName}/{ProcessType}#{Index}) is at its pids limit ({Limit}): {Refused} process or thread creations refused so far")]
    public static partial void PidsLimitReached(ILogger logger, string instanceGuid, string appName, string processType, int index, int limit, long refused);

    [LoggerMessage(EventId = 20, Level = LogLevel.Error, Message = "Supervising instance {InstanceGuid} failed; retrying")]
    public static partial void SupervisorError(ILogger logger, string instanceGuid, Exception exception);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "cgroup of instance {InstanceGuid} could not be removed yet: {Directories}")]
    public static partial void CgroupNotRemoved(ILogger logger, string instanceGuid, string directories);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Writing the executor state failed")]
    public static partial void PersistFailed(ILogger logger, Exception exception);
}
