using System.Collections.Frozen;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ravioli.Router.Forwarder;

/// <summary>Which headers cross the router and how: hop-by-hop ones stay behind (RFC 9110 §7.6.1).</summary>
internal static class HeaderRules
{
    public const string RequestId = "X-Request-Id";
    public const string VcapRequestId = "X-Vcap-Request-Id";
    public const string ForwardedFor = "X-Forwarded-For";
    public const string ForwardedProto = "X-Forwarded-Proto";
    public const string ForwardedHost = "X-Forwarded-Host";
    public const string RouterError = "X-Cf-RouterError";

    private static readonly FrozenSet<string> s_hopByHop = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade");

    // Besides hop-by-hop: headers the router sets itself, and Expect, because Kestrel already answers 100-continue
    // when the body is first read and the backend should not wait for a second one.
    private static readonly FrozenSet<string> s_requestSkip = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect",
        ForwardedFor, ForwardedProto, ForwardedHost, RequestId, VcapRequestId);

    /// <summary>Copies the client's end-to-end headers; content headers go to the content, or nowhere when there is no body.</summary>
    public static void CopyRequestHeaders(IHeaderDictionary source, HttpRequestMessage target, bool webSocket, bool http2WebSocket)
    {
        var connectionListed = ConnectionListed(source.Connection);
        var content = target.Content;
        foreach (var (name, values) in source)
        {
            if (s_requestSkip.Contains(name) || name.StartsWith(':') || (connectionListed is not null && connectionListed.Contains(name)))
            {
                continue;
            }
            if (values.Count == 1)
            {
                var value = values.ToString();
                if (!target.Headers.TryAddWithoutValidation(name, value))
                {
                    content?.Headers.TryAddWithoutValidation(name, value);
                }
            }
            else if (!target.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        if (webSocket)
        {
            target.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            target.Headers.TryAddWithoutValidation("Upgrade", source.Upgrade.ToString());
        }
        else if (http2WebSocket)
        {
            // RFC 8441 carries neither a key nor Upgrade; the app's RFC 6455 handshake needs both. The client never
            // sees the key's hash: the router answers it with HTTP/2's 200.
            target.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            target.Headers.TryAddWithoutValidation("Upgrade", "websocket");
            target.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
            if (!target.Headers.Contains("Sec-WebSocket-Version"))
            {
                target.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
            }
        }
    }

    /// <summary>Copies the backend's end-to-end headers; on a 101 also its Upgrade header, which the client needs to see.</summary>
    public static void CopyResponseHeaders(HttpResponseMessage source, IHeaderDictionary target, bool switchingProtocols)
    {
        HashSet<string>? connectionListed = null;
        if (source.Headers.NonValidated.TryGetValues("Connection", out var connection))
        {
            connectionListed = ConnectionListed(new StringValues(ToStrings(connection)));
        }
        Copy(source.Headers.NonValidated, target, connectionListed, switchingProtocols);
        Copy(source.Content.Headers.NonValidated, target, connectionListed, switchingProtocols);
    }

    private static void Copy(HttpHeadersNonValidated source, IHeaderDictionary target, HashSet<string>? connectionListed, bool switchingProtocols)
    {
        foreach (var (name, values) in source)
        {
            if (s_hopByHop.Contains(name) && !(switchingProtocols && name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (connectionListed is not null && connectionListed.Contains(name))
            {
                continue;
            }
            target[name] = values.Count == 1 ? new StringValues(values.ToString()) : new StringValues(ToStrings(values));
        }
    }

    public static void CopyTrailers(HttpResponseMessage source, HttpResponse target)
    {
        foreach (var (name, values) in source.TrailingHeaders.NonValidated)
        {
            if (!s_hopByHop.Contains(name))
            {
                target.AppendTrailer(name, values.Count == 1 ? new StringValues(values.ToString()) : new StringValues(ToStrings(values)));
            }
        }
    }

    private static string[] ToStrings(HeaderStringValues values)
    {
        var strings = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            strings[i++] = value;
        }
        return strings;
    }

    /// <summary>Header names a Connection header declares hop-by-hop (RFC 9110 §7.6.1), besides the usual tokens; null when none.</summary>
    private static HashSet<string>? ConnectionListed(StringValues connection)
    {
        HashSet<string>? listed = null;
        foreach (var value in connection)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                var token = value.AsSpan()[range].Trim();
                if (token.Length == 0
                    || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("close", StringComparison.OrdinalIgnoreCase)
                    || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                (listed ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(token.ToString());
            }
        }
        return listed;
    }

    public static bool IsWebSocketUpgrade(StringValues upgrade)
    {
        foreach (var value in upgrade)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[range].Trim().Equals("websocket", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Methods RFC 9110 §9.2.2 calls idempotent: safe to send again when no byte reached the app.</summary>
    public static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    /// <summary>The client's request id when it is one a log line can carry safely; otherwise a new one.</summary>
    public static string RequestIdFor(StringValues sent)
    {
        if (sent.Count == 1 && IsSaneRequestId(sent.ToString()))
        {
            return sent.ToString();
        }
        return NewRequestId();
    }

    /// <summary>
    /// A random (version 4) UUID from a non-cryptographic generator: Guid.NewGuid reads the kernel's random source
    /// with a system call per id, and a request id is a correlation handle (clients may send their own), not a secret.
    /// </summary>
    private static string NewRequestId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    private static bool IsSaneRequestId(string id)
    {
        if (id.Length is 0 or > 128)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '+' or '/' or '=' or '@'))
            {
                return false;
            }
        }
        return true;
    }
}
