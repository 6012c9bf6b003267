using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ravioli.Router.Forwarder;

/// <summary>The X-Forwarded-* values of one request, computed once and sent on every attempt.</summary>
internal readonly record struct ForwardedValues(string For, string Proto, string Host);

/// <summary>Builds the HTTP/1.1 request the app gets from the client's request.</summary>
internal static class BackendRequest
{
    public static HttpRequestMessage Create(
        HttpMethod method, Uri uri, IHeaderDictionary clientHeaders, StreamingRequestContent? content, TunnelKind tunnel, ForwardedValues forwarded, string requestId)
    {
        var message = new HttpRequestMessage(method, uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        HeaderRules.CopyRequestHeaders(clientHeaders, message, tunnel == TunnelKind.WebSocket, tunnel == TunnelKind.Http2WebSocket);
        var headers = message.Headers;
        headers.TryAddWithoutValidation(HeaderRules.ForwardedFor, forwarded.For);
        headers.TryAddWithoutValidation(HeaderRules.ForwardedProto, forwarded.Proto);
        headers.TryAddWithoutValidation(HeaderRules.ForwardedHost, forwarded.Host);
        headers.TryAddWithoutValidation(HeaderRules.RequestId, requestId);
        headers.TryAddWithoutValidation(HeaderRules.VcapRequestId, requestId);
        return message;
    }

    /// <summary>X-Forwarded-* for the app; also noted on the exchange for the access log.</summary>
    public static ForwardedValues Forwarded(Exchange x, bool trustClient)
    {
        var request = x.Context.Request;
        var headers = request.Headers;
        var address = x.Context.Connection.RemoteIpAddress;
        var client = address is null ? "" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        string forwardedFor = client, proto = request.Scheme, host = x.Host;
        if (trustClient)
        {
            var sentFor = headers[HeaderRules.ForwardedFor];
            if (sentFor.Count > 0)
            {
                forwardedFor = sentFor.ToString() + ", " + client;
            }
            var sentProto = headers[HeaderRules.ForwardedProto];
            if (sentProto.Count == 1)
            {
                proto = sentProto.ToString();
            }
            var sentHost = headers[HeaderRules.ForwardedHost];
            if (sentHost.Count == 1)
            {
                host = sentHost.ToString();
            }
        }
        x.ForwardedFor = forwardedFor;
        x.Scheme = proto;
        return new ForwardedValues(forwardedFor, proto, host);
    }

    /// <summary>The path and query as the client sent them, so encodings such as %2F reach the app unchanged.</summary>
    public static string Target(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is { Length: > 0 } && raw[0] == '/')
        {
            return raw;
        }
        // Absolute-form ("GET http://host/x") or anything else Kestrel accepted: rebuild from the parsed parts.
        var request = context.Request;
        return request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
    }
}
