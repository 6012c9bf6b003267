using Microsoft.Extensions.Logging;

namespace Ravioli.Brokers;

/// <summary>The brokers' log lines. None of them carries a password, a credential or a request body.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "OSB {Broker}: {Method} {Path} request-id={RequestIdentity} originating-identity={OriginatingIdentity}")]
    public static partial void Request(ILogger logger, string broker, string method, string path, string? requestIdentity, string? originatingIdentity);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "OSB {Broker}: rejected {Method} {Path}: {Status} {Reason}")]
    public static partial void Rejected(ILogger logger, string broker, string method, string path, int status, string reason);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Broker {Broker}: {Operation} of instance {InstanceId} started (plan {Plan})")]
    public static partial void OperationStarted(ILogger logger, string broker, string instanceId, string operation, string plan);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Broker {Broker}: {Operation} of instance {InstanceId} succeeded")]
    public static partial void OperationSucceeded(ILogger logger, string broker, string instanceId, string operation);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "Broker {Broker}: {Operation} of instance {InstanceId} failed: {Reason}")]
    public static partial void OperationFailed(ILogger logger, string broker, string instanceId, string operation, string reason);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Broker {Broker}: resuming {Operation} of instance {InstanceId} that a restart interrupted")]
    public static partial void OperationResumed(ILogger logger, string broker, string instanceId, string operation);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Error, Message = "Broker {Broker}: could not recover instance {InstanceId}: {Reason}")]
    public static partial void RecoveryFailed(ILogger logger, string broker, string instanceId, string reason);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Information, Message = "Broker {Broker}: bound instance {InstanceId} as binding {BindingId}")]
    public static partial void Bound(ILogger logger, string broker, string instanceId, string bindingId);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Information, Message = "Broker {Broker}: removed binding {BindingId} of instance {InstanceId}")]
    public static partial void Unbound(ILogger logger, string broker, string instanceId, string bindingId);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Broker {Broker} is not offered: {Reason}. Install the Debian package '{Package}' to offer it")]
    public static partial void NotInstalled(ILogger logger, string broker, string reason, string package);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Backing server {Server}: {Action} ({Detail})")]
    public static partial void Server(ILogger logger, string server, string action, string detail);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Error, Message = "Broker {Broker} is not offered: its backing server failed to start: {Reason}")]
    public static partial void StartFailed(ILogger logger, string broker, string reason);

    [LoggerMessage(EventId = 4023, Level = LogLevel.Information, Message = "Broker {Broker} offered at {PathPrefix}")]
    public static partial void Offered(ILogger logger, string broker, string pathPrefix);
}
