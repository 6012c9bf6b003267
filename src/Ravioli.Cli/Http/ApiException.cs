using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ravioli.Cli.Http;

/// <summary>An error answer from the API, with its ProblemDetails turned into a message a user can act on.</summary>
internal sealed class ApiException : CliException
{
    private ApiException(HttpStatusCode status, ProblemDetails? problem, string message)
        : base(message)
    {
        Status = status;
        Problem = problem;
    }

    public HttpStatusCode Status { get; }

    public ProblemDetails? Problem { get; }

    public bool IsUnprocessable => Status == HttpStatusCode.UnprocessableEntity;

    /// <summary>True when the server says the thing already exists; callers that only want it to exist treat that as success.</summary>
    public bool SaysAlreadyExists =>
        IsUnprocessable
        && Problem is not null
        && $"{Problem.Title} {Problem.Detail} {string.Join(' ', Problem.Errors?.Values.SelectMany(v => v) ?? [])}"
            .Contains("already", StringComparison.OrdinalIgnoreCase);

    public static ApiException From(HttpStatusCode status, string body, HttpResponseHeaders headers)
    {
        var problem = ParseProblem(body);
        return new ApiException(status, problem, Describe(status, problem, headers));
    }

    private static ProblemDetails? ParseProblem(string body)
    {
        if (Json.TryParse(body) is not { ValueKind: JsonValueKind.Object } element)
        {
            return null;
        }

        try
        {
            return element.Deserialize<ProblemDetails>(Json.Options);
        }
        catch (JsonException)
        {
            // A body that is JSON but not ProblemDetails (e.g. a proxy's error page) still gets a status-based message.
            return null;
        }
    }

    private static string Describe(HttpStatusCode status, ProblemDetails? problem, HttpResponseHeaders headers)
    {
        var message = new StringBuilder();
        var code = (int)status;
        var headline = problem?.Detail ?? problem?.Title ?? $"The API answered {code} {status}.";
        message.Append(headline);

        foreach (var (field, errors) in problem?.Errors ?? [])
        {
            foreach (var error in errors)
            {
                var line = $"{field}: {error}";
                if (!headline.Contains(line, StringComparison.Ordinal))
                {
                    message.Append(CultureInfo.InvariantCulture, $"\n  {line}");
                }
            }
        }

        var hint = status switch
        {
            HttpStatusCode.Unauthorized => "Run 'rav login' again.",
            HttpStatusCode.Forbidden => "Your role does not allow this; ask an org manager or an admin.",
            HttpStatusCode.NotFound => "It does not exist or you may not see it; check the name and 'rav target'.",
            // The platform's own 409 details say what to do (e.g. wait for a broker operation still in progress).
            HttpStatusCode.Conflict => problem?.Detail is null ? "It changed while you were working on it; run the command again." : null,
            // The server's own 429 detail already says when to retry; only a bare 429 needs the header read out.
            HttpStatusCode.TooManyRequests => problem?.Detail is null ? RetryAfterHint(headers) : null,
            >= HttpStatusCode.InternalServerError => "The platform failed; try again, and check its logs if it keeps failing.",
            _ => null,
        };
        if (hint is not null)
        {
            message.Append(CultureInfo.InvariantCulture, $"\n{hint}");
        }

        return message.ToString();
    }

    private static string RetryAfterHint(HttpResponseHeaders headers)
    {
        var delta = headers.RetryAfter?.Delta;
        return delta is null
            ? "Wait a while before trying again."
            : $"Try again in {Math.Ceiling(delta.Value.TotalSeconds).ToString(CultureInfo.InvariantCulture)} seconds.";
    }
}

/// <summary>RFC 9457 error body, plus UAA's <c>error</c> field on failed grants.</summary>
internal sealed record ProblemDetails(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    Dictionary<string, string[]>? Errors,
    string? Error);
