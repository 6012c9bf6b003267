using System.Text;
using System.Text.Json.Nodes;

namespace Ravioli.Cli.Tests.Support;

/// <summary>Forges variants of a real access token, to see how rav reacts when the server rejects one.</summary>
internal static class Tokens
{
    /// <summary>The same token with a different <c>exp</c>; the signature no longer matches, so the server answers 401.</summary>
    public static string WithExpiry(string jwt, DateTimeOffset expiresAt)
    {
        var parts = jwt.Split('.');
        var payload = JsonNode.Parse(Decode(parts[1]))!.AsObject();
        payload["exp"] = expiresAt.ToUnixTimeSeconds();
        return $"{parts[0]}.{Encode(payload.ToJsonString())}.{parts[2]}";
    }

    public static long Expiry(string jwt) => JsonNode.Parse(Decode(jwt.Split('.')[1]))!["exp"]!.GetValue<long>();

    private static string Decode(string segment)
    {
        var base64 = segment.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - (base64.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
    }

    private static string Encode(string json)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
