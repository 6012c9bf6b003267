using Microsoft.Extensions.Logging;

namespace Ravioli.Staging;

/// <summary>The operator's log of staging (the user's staging log is the stager's output callback).</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Staging {Source} with {Buildpacks}")]
    public static partial void StagingStarted(ILogger logger, string source, string buildpacks);

    [LoggerMessage(Level = LogLevel.Information, Message = "Staged {Source} with {Buildpack} in {ElapsedMs} ms")]
    public static partial void StagingSucceeded(ILogger logger, string source, string buildpack, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Staging {Source} failed ({Reason}) after {ElapsedMs} ms")]
    public static partial void StagingFailed(ILogger logger, string source, StagingFailureReason reason, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Staging {Source} was cancelled")]
    public static partial void StagingCancelled(ILogger logger, string source);
}
