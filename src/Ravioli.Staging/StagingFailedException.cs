namespace Ravioli.Staging;

/// <summary>Why a staging failed, for the API's error code and the CLI's hint.</summary>
public enum StagingFailureReason
{
    /// <summary>No buildpack recognised the app.</summary>
    NoBuildpackDetected,

    /// <summary>A requested buildpack name is not registered.</summary>
    BuildpackNotFound,

    /// <summary>A buildpack's command (a build tool or a buildpack script) failed.</summary>
    BuildpackFailed,

    /// <summary>Staging ran longer than the request's time limit.</summary>
    Timeout,

    /// <summary>An operator buildpack's <c>bin/release</c> printed something that is not valid release YAML.</summary>
    InvalidRelease,

    /// <summary>Staging succeeded but nothing says how to start the app.</summary>
    NoStartCommand,

    /// <summary>The request itself is unusable (missing source directory, overlapping directories).</summary>
    InvalidRequest,
}

/// <summary>A staging that did not produce a droplet; <see cref="Exception.Message"/> tells the user what to do.</summary>
public sealed class StagingFailedException : Exception
{
    public StagingFailedException(StagingFailureReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public StagingFailedException(StagingFailureReason reason, string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public StagingFailureReason Reason { get; }
}
