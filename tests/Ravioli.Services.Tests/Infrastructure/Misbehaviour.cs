using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Ravioli.Services.Osb;

namespace Ravioli.Services.Tests.Infrastructure;

/// <summary>Scripts for what brokers do wrong on the wire.</summary>
public static class Misbehaviour
{
    /// <summary>Never answers; ends when the client gives up.</summary>
    public static Func<HttpContext, Task> Hang { get; } =
        context => Task.Delay(Timeout.Infinite, context.RequestAborted);

    /// <summary>Reads the request, then drops the connection without a status.</summary>
    public static Func<HttpContext, Task> DropConnection { get; } = context =>
    {
        context.Abort();
        return Task.CompletedTask;
    };

    /// <summary>Sends the status and part of the body, then goes silent.</summary>
    public static Func<HttpContext, Task> StallBody(int status, string start) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(start), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await Task.Delay(Timeout.Infinite, context.RequestAborted);
    };

    /// <summary>A valid JSON object of about <paramref name="bytes"/> bytes, with or without a Content-Length.</summary>
    public static Func<HttpContext, Task> HugeBody(int status, int bytes, bool declareLength) => async context =>
    {
        var body = Encoding.UTF8.GetBytes("{\"dashboard_url\":\"" + new string('a', bytes) + "\"}");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (declareLength)
        {
            context.Response.ContentLength = body.Length;
        }
        else
        {
            // Chunked: the client only learns the size by reading.
            context.Features.Get<IHttpResponseBodyFeature>()!.DisableBuffering();
        }
        try
        {
            for (var offset = 0; offset < body.Length; offset += 64 * 1024)
            {
                await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(64 * 1024, body.Length - offset)), context.RequestAborted);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client stopped reading at its limit (Kestrel's ConnectionAbortedException is an OperationCanceledException).
        }
    };

    /// <summary>An endpoint on a port nothing listens on: connecting is refused.</summary>
    public static BrokerEndpoint RefusingEndpoint()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new BrokerEndpoint(new Uri($"http://127.0.0.1:{port}/brokers/gone"), ScriptedBroker.Username, ScriptedBroker.Password);
    }
}
