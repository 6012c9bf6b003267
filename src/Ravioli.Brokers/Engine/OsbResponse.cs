using System.Text.Json.Nodes;

namespace Ravioli.Brokers.Engine;

/// <summary>An OSB reply: status code, JSON body and, while an operation runs, a Retry-After hint.</summary>
internal sealed record OsbResponse(int Status, JsonObject Body, TimeSpan? RetryAfter = null)
{
    public static OsbResponse Ok(JsonObject? body = null) => new(200, body ?? []);
    public static OsbResponse Created(JsonObject? body = null) => new(201, body ?? []);
    public static OsbResponse Accepted(string operation) => new(202, new JsonObject { ["operation"] = operation });
    public static OsbResponse Gone() => new(410, []);

    /// <summary>
    /// An OSB error body. OSB fixes the shape ({"error", "description"}) and platforms parse it, so the brokers answer
    /// with it rather than the ProblemDetails the rest of the API uses.
    /// </summary>
    public static OsbResponse Error(int status, string description, string? error = null, bool? instanceUsable = null, bool? updateRepeatable = null)
    {
        var body = new JsonObject();
        if (error is not null)
        {
            body["error"] = error;
        }
        body["description"] = description;
        if (instanceUsable is not null)
        {
            body["instance_usable"] = instanceUsable;
        }
        if (updateRepeatable is not null)
        {
            body["update_repeatable"] = updateRepeatable;
        }
        return new OsbResponse(status, body);
    }

    public static OsbResponse BadRequest(string description) => Error(400, description);
    public static OsbResponse NotFound(string description) => Error(404, description);
    public static OsbResponse Conflict(string description) => Error(409, description);
    public static OsbResponse Concurrency(string description) => Error(422, description, "ConcurrencyError");
    public static OsbResponse AsyncRequired(string description) => Error(422, description, "AsyncRequired");
}

/// <summary>Thrown while reading a request that cannot be served; becomes the response it carries.</summary>
internal sealed class OsbRequestException(OsbResponse response) : Exception(response.Body["description"]?.GetValue<string>())
{
    public OsbResponse Response { get; } = response;
}
