using System.Text.Encodings.Web;
using System.Text.Json;

namespace Ravioli.Cli.Http;

/// <summary>One set of JSON settings for the wire, the config file and printed output: snake_case, like the API.</summary>
internal static class Json
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static JsonSerializerOptions IndentedOptions { get; } = new(Options)
    {
        WriteIndented = true,

        // Printed JSON is read by people and by jq; escaping '+' or '<' as \u002B only gets in the way.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static T As<T>(JsonElement element)
    {
        try
        {
            return element.Deserialize<T>(Options)
                ?? throw new CliException($"The API answered with an empty {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new CliException($"The API answered with an unexpected {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>Reads a resource and keeps its JSON alongside.</summary>
    public static T Resource<T>(JsonElement element)
        where T : Model.Resource
    {
        var resource = As<T>(element);
        resource.Raw = element;
        return resource;
    }

    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);

    /// <summary>JSON <c>null</c>: what <c>--json</c> prints when there is no resource, e.g. deleting one already gone.</summary>
    public static JsonElement Null { get; } = JsonSerializer.SerializeToElement<object?>(null);

    public static JsonElement Array(IEnumerable<JsonElement> items) => JsonSerializer.SerializeToElement(items.ToList(), Options);

    public static string Pretty(JsonElement element) => JsonSerializer.Serialize(element, IndentedOptions);

    /// <summary>Parses a body as JSON; null when it is empty or not JSON.</summary>
    public static JsonElement? TryParse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<JsonElement>(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
