using System.Text;
using System.Text.Json;

namespace Ravioli.Cli.Http;

/// <summary>
/// Reads claims from an access token without checking its signature: the CLI only uses them to decide
/// when to refresh and whom to greet; the server is the one that verifies.
/// </summary>
internal static class Jwt
{
    public static DateTimeOffset? ExpiresAt(string token)
    {
        var payload = Payload(token);
        if (payload is { ValueKind: JsonValueKind.Object } claims
            && claims.TryGetProperty("exp", out var exp)
            && exp.ValueKind == JsonValueKind.Number
            && exp.TryGetInt64(out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        return null;
    }

    public static string? UserName(string token)
    {
        var payload = Payload(token);
        if (payload is { ValueKind: JsonValueKind.Object } claims
            && claims.TryGetProperty("user_name", out var name)
            && name.ValueKind == JsonValueKind.String)
        {
            return name.GetString();
        }

        return null;
    }

    /// <summary>True when the token expires within <paramref name="margin"/> of <paramref name="now"/>. Unreadable tokens are left to the server to judge.</summary>
    public static bool ExpiresWithin(string token, TimeSpan margin, DateTimeOffset now)
    {
        var expiresAt = ExpiresAt(token);
        return expiresAt is not null && expiresAt.Value - now <= margin;
    }

    private static JsonElement? Payload(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var json = Encoding.UTF8.GetString(DecodeBase64Url(parts[1]));
            return Json.TryParse(json);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] DecodeBase64Url(string segment)
    {
        var base64 = segment.Replace('-', '+').Replace('_', '/');
        base64 = (base64.Length % 4) switch
        {
            2 => base64 + "==",
            3 => base64 + "=",
            _ => base64,
        };
        return Convert.FromBase64String(base64);
    }
}
