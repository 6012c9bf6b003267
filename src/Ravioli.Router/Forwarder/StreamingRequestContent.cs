using System.Buffers;
using System.IO.Pipelines;
using System.Net;

namespace Ravioli.Router.Forwarder;

/// <summary>
/// The client's request body, streamed to the backend as it arrives. Remembers whether it started (a retry is
/// only safe before) and which side failed, so the router can tell a broken client from a broken backend.
/// </summary>
internal sealed class StreamingRequestContent(PipeReader source, RequestCancellation cancellation) : HttpContent
{
    private Task? _copy;

    /// <summary>True once the handler asked for the body: from then on bytes may have reached the backend.</summary>
    public bool Started => _copy is not null;

    public long BytesSent { get; private set; }

    /// <summary>Set when reading from the client failed (body too large, malformed chunks, client gone).</summary>
    public Exception? ClientError { get; private set; }

    /// <summary>Completes when the copy has stopped; the request must not end while it still reads the client's body.</summary>
    public Task Completion => _copy ?? Task.CompletedTask;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (_copy is not null)
        {
            throw new InvalidOperationException("A streamed request body can be sent only once.");
        }
        // The request's own token, not the handler's: the router must be able to stop this copy (see Completion)
        // and the handler's token is derived from it anyway.
        return _copy = CopyAsync(stream);
    }

    private async Task CopyAsync(Stream destination)
    {
        var token = cancellation.Token;
        var unflushed = false;
        while (true)
        {
            ReadResult result;
            try
            {
                if (!source.TryRead(out result))
                {
                    // Flush only before waiting on the client: a streaming upload reaches the app chunk by chunk,
                    // while a fast one is sent in the handler's large writes.
                    if (unflushed)
                    {
                        await destination.FlushAsync(token);
                        unflushed = false;
                    }
                    result = await source.ReadAsync(token);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                ClientError = e;
                throw;
            }
            var buffer = result.Buffer;
            try
            {
                foreach (var segment in buffer)
                {
                    await destination.WriteAsync(segment, token);
                    BytesSent += segment.Length;
                }
            }
            finally
            {
                source.AdvanceTo(buffer.End);
            }
            if (!buffer.IsEmpty)
            {
                unflushed = true;
                cancellation.Progress();
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
