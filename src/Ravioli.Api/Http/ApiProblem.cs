namespace Ravioli.Api.Http;

/// <summary>An error meant for the client: becomes an RFC 9457 problem response with a stable type and an actionable message.</summary>
public sealed class ApiProblem : Exception
{
    public ApiProblem(int status, string kind, string title, string detail, IDictionary<string, string[]>? errors = null)
        : base(detail)
    {
        Status = status;
        Kind = kind;
        Title = title;
        Errors = errors;
    }

    public int Status { get; }

    /// <summary>The stable suffix of the problem type, e.g. "validation" in urn:ravioli:problem:validation.</summary>
    public string Kind { get; }
    public string Title { get; }
    public IDictionary<string, string[]>? Errors { get; }

    /// <summary>Extra members (e.g. OAuth's error and error_description).</summary>
    public Dictionary<string, object?> Extensions { get; } = [];

    /// <summary>Response headers that belong to the error (Retry-After, WWW-Authenticate); set after the response is cleared.</summary>
    public Dictionary<string, string> Headers { get; } = [];

    public static ApiProblem BadRequest(string detail) => new(400, "bad-request", "Bad request", detail);

    public static ApiProblem Unauthenticated(string detail) => new(401, "unauthenticated", "Authentication required", detail);

    public static ApiProblem Forbidden(string detail) => new(403, "forbidden", "Forbidden", detail);

    public static ApiProblem NotFound(string resource, string guid) =>
        new(404, "not-found", "Not found", $"{resource} '{guid}' was not found, or you are not allowed to see it.");

    public static ApiProblem Conflict(string detail) => new(409, "conflict", "Conflict", detail);

    public static ApiProblem Unprocessable(string detail) => new(422, "unprocessable", "Unprocessable entity", detail);

    public static ApiProblem Invalid(string field, string message) =>
        new(422, "validation", "Validation failed", $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static ApiProblem Invalid(IDictionary<string, string[]> errors) =>
        new(422, "validation", "Validation failed",
            string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), errors);

    public static ApiProblem TooLarge(long limit) =>
        new(413, "payload-too-large", "Payload too large", $"The request body is larger than {limit} bytes.");

    public static ApiProblem Unavailable(string detail) => new(503, "unavailable", "Service unavailable", detail);
}

/// <summary>Collects field errors so one response can name every bad field at once.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public void Check(string field, string? message)
    {
        if (message is not null)
        {
            Add(field, message);
        }
    }

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw ApiProblem.Invalid(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }
    }
}
