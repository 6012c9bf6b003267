using Microsoft.AspNetCore.Http;

namespace Ravioli.Api.Http;

/// <summary>Checks every request gets before any endpoint runs.</summary>
internal static class RequestGuards
{
    /// <summary>Every answer is JSON, text or a zip: browsers must not sniff one into HTML.</summary>
    public static Task NoSniffAsync(HttpContext context, RequestDelegate next)
    {
        // At the last moment: an error handler clears the headers set before it ran.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return Task.CompletedTask;
        });
        return next(context);
    }

    /// <summary>
    /// A NUL (%00) in the query string can never match anything stored, and PostgreSQL refuses it as a parameter,
    /// so it is answered here rather than as a database error. (Kestrel already refuses %00 in the path.)
    /// </summary>
    public static Task RefuseNulInQueryAsync(HttpContext context, RequestDelegate next)
    {
        foreach (var (key, values) in context.Request.Query)
        {
            if (key.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
            {
                throw ApiProblem.BadRequest($"The query parameter '{key.Replace("\0", "%00", StringComparison.Ordinal)}' contains a NUL character (%00).");
            }
        }
        return next(context);
    }
}
