using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Ravioli.Store;

namespace Ravioli.Api.Http;

/// <summary>Turns every exception into a problem response; clients never see a stack trace.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = Classify(exception);
        if (problem.Status >= 500 && problem.Kind == "internal")
        {
            LogUnhandled(logger, context.Request.Method, context.Request.Path, exception);
        }
        else if (problem.Kind is "unavailable" or "insufficient-storage" && problem != exception)
        {
            // An outage, not a bug: one line without the stack, so a long one does not bury the log.
            LogDegraded(logger, context.Request.Method, context.Request.Path, problem.Status, exception.GetBaseException().Message);
        }
        await ProblemWriter.WriteAsync(problems, context, problem);
        return true;
    }

    internal static bool IsDiskFull(IOException e) => StoreSetup.IsDiskFull(e);

    internal static ApiProblem Classify(Exception exception) => exception switch
    {
        ApiProblem p => p,
        BadHttpRequestException { StatusCode: 413 } => new ApiProblem(413, "payload-too-large", "Payload too large", "The request body is too large."),
        BadHttpRequestException b => ApiProblem.BadRequest(b.Message),
        DbUpdateConcurrencyException => ApiProblem.Conflict("The resource was changed or deleted by another request while this one ran. Fetch it again and retry."),
        _ when StoreSetup.IsUniqueViolation(exception) => ApiProblem.Unprocessable("A resource with that name already exists here."),
        _ when StoreSetup.IsForeignKeyViolation(exception) => ApiProblem.Unprocessable("A resource this request refers to was deleted meanwhile."),
        _ when StoreSetup.IsUnstorableValue(exception) => ApiProblem.Unprocessable("A value in this request cannot be stored (a NUL character, or text too long to index). Nothing was changed."),
        // Before IsUnavailable, which counts SQLITE_FULL too: a full disk is the operator's to fix, not a retry's.
        IOException when StoreSetup.IsDiskFull(exception) => DiskFull("the upload could not be stored"),
        _ when StoreSetup.IsDiskFull(exception) => DiskFull("the database could not write"),
        _ when StoreSetup.IsLocked(exception) => DatabaseUnavailable(
            "The platform database is unavailable (locked by another process). Retry shortly; nothing was changed."),
        _ when StoreSetup.IsUnavailable(exception) => DatabaseUnavailable(
            "The platform database is unavailable (it cannot be reached). Retry shortly; nothing was changed."),
        OperationCanceledException => new ApiProblem(499, "cancelled", "Request cancelled", "The request was cancelled."),
        _ => new ApiProblem(500, "internal", "Internal error", "The platform hit an unexpected error. The request may be retried; the operator can find details in the server log."),
    };

    /// <summary>Seconds a client should wait before retrying while the database is away.</summary>
    internal const string RetryAfterSeconds = "5";

    private static ApiProblem DatabaseUnavailable(string detail)
    {
        var problem = ApiProblem.Unavailable(detail);
        problem.Headers["Retry-After"] = RetryAfterSeconds;
        return problem;
    }

    private static ApiProblem DiskFull(string what) =>
        new(507, "insufficient-storage", "Insufficient storage",
            $"The platform's disk is full: {what}. Nothing was kept; retry when the operator has freed space.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered {Status}: {Reason}")]
    private static partial void LogDegraded(ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception exception);
}

internal static class ProblemWriter
{
    public const string TypePrefix = "urn:ravioli:problem:";

    public static async Task WriteAsync(IProblemDetailsService problems, HttpContext context, ApiProblem problem)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.Clear();
        context.Response.StatusCode = problem.Status;
        foreach (var (name, value) in problem.Headers)
        {
            context.Response.Headers[name] = value;
        }
        var details = new ProblemDetails
        {
            Status = problem.Status,
            Type = TypePrefix + problem.Kind,
            Title = problem.Title,
            Detail = problem.Message,
        };
        if (problem.Errors is not null)
        {
            details.Extensions["errors"] = problem.Errors;
        }
        foreach (var (key, value) in problem.Extensions)
        {
            details.Extensions[key] = value;
        }
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = details });
    }

    /// <summary>Bodiless error statuses (unknown route, wrong method) get a problem body too, never HTML or nothing.</summary>
    public static void Describe(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        if (details.Type is null || details.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
        {
            (details.Type, details.Detail) = details.Status switch
            {
                404 => (TypePrefix + "not-found", details.Detail ?? $"There is no endpoint at {context.HttpContext.Request.Path}. See GET / and /openapi/v1.json for what exists."),
                405 => (TypePrefix + "method-not-allowed", details.Detail ?? $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}."),
                401 => (TypePrefix + "unauthenticated", details.Detail ?? "Send 'Authorization: Bearer <token>'; get a token from POST /oauth/token."),
                415 => (TypePrefix + "unsupported-media-type", details.Detail ?? $"Send the body as JSON with 'Content-Type: application/json' (got '{context.HttpContext.Request.ContentType ?? "none"}')."),
                _ => (TypePrefix + "error", details.Detail),
            };
        }
    }
}
