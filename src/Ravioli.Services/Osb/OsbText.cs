using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>Wording shared by the client's messages, so every description reads the same way.</summary>
internal static class OsbText
{
    /// <summary>A URL fit for a message: without user info, which could hold a password.</summary>
    public static string Redact(Uri url)
    {
        if (!url.IsAbsoluteUri || string.IsNullOrEmpty(url.UserInfo))
        {
            return url.ToString();
        }
        var builder = new UriBuilder(url) { UserName = "", Password = "" };
        return builder.Uri.ToString();
    }

    public static string Seconds(TimeSpan duration) =>
        duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    public static string Bytes(long bytes) => bytes.ToString(CultureInfo.InvariantCulture) + " bytes";

    /// <summary>"a string", "a number", … for "must be X, not Y" messages.</summary>
    public static string KindOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Null => "null",
            _ => "a value",
        },
        _ => "a value",
    };

    /// <summary>Removes a secret from text that came from the broker, in case it echoes what we sent.</summary>
    public static string Scrub(string text, string? secret) =>
        string.IsNullOrEmpty(secret) || secret.Length < 4 ? text : text.Replace(secret, "(redacted)", StringComparison.Ordinal);
}
