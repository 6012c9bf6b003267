using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Ravioli.Router.Configuration;

namespace Ravioli.Router.Forwarder;

/// <summary>
/// The one connection pool to every backend: HTTP/1.1 keep-alive, no proxy, redirects, cookies or decompression,
/// because the router passes responses through as the app sent them.
/// </summary>
internal sealed class BackendClient : IDisposable
{
    public BackendClient(IOptions<RouterOptions> options)
    {
        var settings = options.Value;
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = settings.ConnectTimeout,
            PooledConnectionIdleTimeout = settings.PooledConnectionIdleTimeout,
            // The router sets its own request ids; trace headers of the client pass through untouched.
            ActivityHeadersPropagator = null,
            // Byte for byte, matching the Latin-1 Kestrel side (see RouterSetup.ListenRavioliRouter).
            RequestHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
            ResponseHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
        }, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
