using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Ravioli.Api.Http;

/// <summary>
/// Reads a JSON request body strictly: JSON content type, a size limit, valid UTF-8, no unknown or
/// duplicate fields, no NUL characters or unpaired surrogates in text, no nulls inside lists and maps
/// whose elements may not be null, and type errors that name the field. Model binding would answer
/// all of these with one vague 400 (or let them through to the database).
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
            CheckText(bytes);
            T body;
            try
            {
                body = document.RootElement.Deserialize<T>(Options)
                    ?? throw ApiProblem.BadRequest("The request body must be a JSON object.");
            }
            catch (JsonException e)
            {
                throw FieldProblem(e);
            }
            if (NullElements.Find(body, "") is { } field)
            {
                throw ApiProblem.Invalid(field, "must not be null");
            }
            return body;
        }
    }

    /// <summary>
    /// Every string and property name must be text a database can store and a process can receive: no NUL
    /// (PostgreSQL refuses it, C strings end at it) and no unpaired UTF-16 surrogate escape (not Unicode at all).
    /// Raw control characters and invalid UTF-8 never get this far: the parser and the UTF-8 check refuse them.
    /// </summary>
    private static void CheckText(byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
        var frames = new List<Frame>();
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                frames.RemoveAt(frames.Count - 1);
                continue;
            }
            if (token != JsonTokenType.PropertyName && frames.Count > 0 && frames[^1].Array)
            {
                frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
            }
            if (token is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                string text;
                try
                {
                    text = reader.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    throw ApiProblem.Invalid(PathOf(frames, token == JsonTokenType.PropertyName ? "?" : null), "must be valid Unicode text (it has an unpaired surrogate escape such as \\ud800)");
                }
                if (text.Contains('\0', StringComparison.Ordinal))
                {
                    throw ApiProblem.Invalid(PathOf(frames, token == JsonTokenType.PropertyName ? text.Replace("\0", "\\u0000", StringComparison.Ordinal) : null),
                        "must not contain NUL characters (\\u0000)");
                }
            }
            switch (token)
            {
                case JsonTokenType.PropertyName:
                    frames[^1] = frames[^1] with { Property = reader.GetString() };
                    break;
                case JsonTokenType.StartObject:
                    frames.Add(new Frame(false, -1, null));
                    break;
                case JsonTokenType.StartArray:
                    frames.Add(new Frame(true, -1, null));
                    break;
            }
        }
    }

    private sealed record Frame(bool Array, int Index, string? Property);

    private static string PathOf(List<Frame> frames, string? property)
    {
        var path = new System.Text.StringBuilder();
        foreach (var frame in frames)
        {
            var segment = frame == frames[^1] && property is not null ? property : frame.Array ? null : frame.Property;
            if (frame.Array)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (segment is not null)
            {
                path.Append(path.Length == 0 ? "" : ".").Append(segment);
            }
        }
        return path.Length == 0 ? "$" : path.ToString();
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

/// <summary>
/// Finds a null inside a list or map of a request whose element type says it may not be null
/// (<c>IReadOnlyList&lt;string&gt;</c>, <c>Dictionary&lt;string, string&gt;</c>). System.Text.Json honours
/// nullable annotations on properties but not on type arguments, so <c>"tags": [null]</c> would reach the code.
/// </summary>
internal static class NullElements
{
    private static readonly ConcurrentDictionary<PropertyInfo, NullabilityInfo> Nullability = new();

    /// <summary>The JSON path of the first null element that is not allowed, or null if there is none.</summary>
    public static string? Find(object value, string path)
    {
        var type = value.GetType();
        if (type.Namespace?.StartsWith("Ravioli.", StringComparison.Ordinal) != true)
        {
            return null;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetValue(value) is not { } child || child is string or JsonNode || property.PropertyType.IsValueType)
            {
                continue;
            }
            var name = JsonBody.Options.PropertyNamingPolicy!.ConvertName(property.Name);
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            // NullabilityInfoContext is not thread-safe; each lookup gets its own, and the answers are cached.
            var info = Nullability.GetOrAdd(property, p => new NullabilityInfoContext().Create(p));
            var found = child switch
            {
                IDictionary map => InMap(map, childPath, info),
                IEnumerable list => InList(list, childPath, info),
                _ => Find(child, childPath),
            };
            if (found is not null)
            {
                return found;
            }
        }
        return null;
    }

    private static string? InMap(IDictionary map, string path, NullabilityInfo info)
    {
        var valuesMayBeNull = info.GenericTypeArguments is [_, { ReadState: not NullabilityState.NotNull }];
        foreach (DictionaryEntry entry in map)
        {
            if (Check(entry.Value, $"{path}.{entry.Key}", valuesMayBeNull) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static string? InList(IEnumerable list, string path, NullabilityInfo info)
    {
        var element = info.ElementType ?? (info.GenericTypeArguments.Length == 1 ? info.GenericTypeArguments[0] : null);
        var elementsMayBeNull = element is null || element.ReadState != NullabilityState.NotNull;
        var index = 0;
        foreach (var item in list)
        {
            if (Check(item, $"{path}[{index++}]", elementsMayBeNull) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    private static string? Check(object? item, string path, bool mayBeNull) => item switch
    {
        null => mayBeNull ? null : path,
        string or JsonNode => null,
        _ when item.GetType().IsValueType => null,
        _ => Find(item, path),
    };
}
