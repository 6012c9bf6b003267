using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ravioli.Router.Forwarder;

/// <summary>What kind of tunnel a request asks for.</summary>
internal enum TunnelKind
{
    None,

    /// <summary>HTTP/1.1 Upgrade: websocket, passed on as it came.</summary>
    WebSocket,

    /// <summary>HTTP/2 extended CONNECT (RFC 8441), turned into an HTTP/1.1 upgrade for the app.</summary>
    Http2WebSocket,
}

/// <summary>Carries a WebSocket between client and app once the app has switched protocols: bytes both ways, no timeout.</summary>
internal static class WebSocketTunnel
{
    public static async Task RunAsync(Exchange x, HttpResponseMessage response, RequestCancellation cancellation, TunnelKind tunnel)
    {
        cancellation.StopTimer();
        x.UpgradedTimestamp = Stopwatch.GetTimestamp();
        var features = x.Context.Features;
        var clientResponse = x.Context.Response;
        var http1 = tunnel == TunnelKind.WebSocket;
        HeaderRules.CopyResponseHeaders(response, clientResponse.Headers, switchingProtocols: http1);
        if (!http1)
        {
            // RFC 8441 §5: the HTTP/2 client gets a 200 and no handshake hash; there was no key on its side to hash.
            clientResponse.Headers.Remove("Sec-WebSocket-Accept");
        }
        clientResponse.Headers[HeaderRules.RequestId] = x.RequestId;
        var backendStream = await response.Content.ReadAsStreamAsync(cancellation.Token);
        var clientStream = http1
            ? await features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync()
            : await features.GetRequiredFeature<IHttpExtendedConnectFeature>().AcceptAsync();
        x.Status = http1 ? StatusCodes.Status101SwitchingProtocols : StatusCodes.Status200OK;

        var up = StreamCopier.CopyAsync(clientStream, backendStream, cancellation, flushFirst: false).AsTask();
        var down = StreamCopier.CopyAsync(backendStream, clientStream, cancellation, flushFirst: false).AsTask();
        // Either side closing ends the tunnel: WebSocket closes are a handshake inside the stream, so by the time one
        // side's stream ends, nothing the other side still sends has a reader.
        await Task.WhenAny(up, down);
        cancellation.Finish();
        x.RequestBytes = (await up).Bytes;
        x.ResponseBytes = (await down).Bytes;
    }
}
