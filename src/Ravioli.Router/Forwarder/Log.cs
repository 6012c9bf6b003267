using Microsoft.Extensions.Logging;

namespace Ravioli.Router.Forwarder;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Address} (app {AppName} instance {Index}) failed ({Failure}); trying another instance")]
    public static partial void AttemptFailedRetrying(ILogger logger, string address, string appName, int index, AttemptFailure failure, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppName} could not be reached for {Method} {Path} after {Attempts} attempt(s); last instance {Address}")]
    public static partial void Unreachable(ILogger logger, string appName, string method, string path, int attempts, string address, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppName} instance {Address} made no progress on {Method} {Path} within {Timeout}")]
    public static partial void TimedOut(ILogger logger, string appName, string address, string method, string path, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "App {AppName} instance {Address} broke off its response to {Method} {Path}")]
    public static partial void ResponseAborted(ILogger logger, string appName, string address, string method, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {AppName} instance {Address} answered 101 to {Method} {Path}, which asked for no upgrade")]
    public static partial void UnexpectedUpgrade(ILogger logger, string appName, string address, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected router error in {Method} {Host}{Path}")]
    public static partial void Unexpected(ILogger logger, string method, string host, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The access log sink failed; the entry was dropped")]
    public static partial void AccessLogFailed(ILogger logger, Exception exception);
}
