using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Ravioli.Api.Http;

/// <summary>
/// Reads a JSON request body strictly: JSON content type, a size limit, valid UTF-8, no unknown or
/// duplicate fields, and type errors that name the field. Model binding would answer all of these
/// with one vague 400.
/// </summary>
public static class JsonBody
{
    public const long DefaultLimit = 1024 * 1024;

    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        MaxDepth = 32,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static async Task<T> ReadAsync<T>(HttpRequest request, long limit = DefaultLimit) where T : class
    {
        var bytes = await ReadBytesAsync(request, limit);
        return Parse<T>(bytes);
    }

    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, long limit)
    {
        var contentType = request.ContentType ?? "";
        if (!contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !contentType.Contains("+json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                $"Send the body as JSON with 'Content-Type: application/json' (got '{(contentType.Length == 0 ? "none" : contentType)}').");
        }
        if (request.ContentLength > limit)
        {
            throw ApiProblem.TooLarge(limit);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw ApiProblem.TooLarge(limit);
            }
            buffer.Write(chunk, 0, read);
        }
        var bytes = buffer.ToArray();
        if (!Utf8.IsValid(bytes))
        {
            throw ApiProblem.BadRequest("The request body is not valid UTF-8.");
        }
        return bytes;
    }

    public static T Parse<T>(byte[] bytes) where T : class
    {
        if (bytes.Length == 0)
        {
            throw ApiProblem.BadRequest("The request body is empty; send a JSON object.");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = Options.MaxDepth });
        }
        catch (JsonException e)
        {
            throw ApiProblem.BadRequest($"The request body is not valid JSON: {Trim(e.Message)}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ApiProblem.BadRequest($"The request body must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }
            try
            {
                return document.RootElement.Deserialize<T>(Options)
                    ?? throw ApiProblem.BadRequest("The request body must be a JSON object.");
            }
            catch (JsonException e)
            {
                throw FieldProblem(e);
            }
        }
    }

    private static ApiProblem FieldProblem(JsonException e)
    {
        var path = (e.Path ?? "$").TrimStart('$').TrimStart('.');
        var message = e.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var name = Between(message, "The JSON property '", "'");
            var field = path.Length == 0 || path == name || path.EndsWith("." + name, StringComparison.Ordinal) ? (path.Length == 0 ? name : path) : $"{path}.{name}";
            return ApiProblem.Invalid(field, "is not a known field");
        }
        if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return ApiProblem.Invalid(path.Length == 0 ? "$" : path, "appears more than once");
        }
        if (message.Contains("null", StringComparison.OrdinalIgnoreCase) && message.Contains("non-nullable", StringComparison.OrdinalIgnoreCase))
        {
            return ApiProblem.Invalid(path.Length == 0 ? "$" : path, "must not be null");
        }
        if (message.Contains("missing required properties", StringComparison.OrdinalIgnoreCase))
        {
            return ApiProblem.Invalid(path.Length == 0 ? "$" : path, Trim(message));
        }
        return ApiProblem.Invalid(path.Length == 0 ? "$" : path, "has the wrong type or an out-of-range value");
    }

    private static string Between(string text, string start, string end)
    {
        var i = text.IndexOf(start, StringComparison.Ordinal);
        if (i < 0)
        {
            return "?";
        }
        i += start.Length;
        var j = text.IndexOf(end, i, StringComparison.Ordinal);
        return j < 0 ? text[i..] : text[i..j];
    }

    // System.Text.Json messages end with path/line details that we already report in a field.
    private static string Trim(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
