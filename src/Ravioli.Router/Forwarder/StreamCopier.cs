using System.Buffers;
using System.Runtime.CompilerServices;

namespace Ravioli.Router.Forwarder;

/// <summary>Which side ended a copy.</summary>
internal enum CopyResult
{
    Completed,
    SourceFailed,
    DestinationFailed,
    Canceled,
}

/// <summary>How a copy ended and how many bytes it wrote before.</summary>
internal readonly record struct CopyOutcome(CopyResult Result, long Bytes);

/// <summary>Moves bytes from one stream to another through a pooled buffer, flushing whenever the source makes it wait.</summary>
internal static class StreamCopier
{
    // Small first: most responses are small, and idle streams (server-sent events, WebSockets, two copies each)
    // would otherwise hold 64 KiB apiece. A read that fills the small buffer shows a bulk transfer; it gets the large one.
    private const int SmallBuffer = 4 * 1024;
    private const int LargeBuffer = 64 * 1024;

    /// <param name="flushFirst">Whether the destination holds unsent data already (response headers) to flush if the source is slow.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<CopyOutcome> CopyAsync(Stream source, Stream destination, RequestCancellation cancellation, bool flushFirst)
    {
        var token = cancellation.Token;
        var buffer = ArrayPool<byte>.Shared.Rent(SmallBuffer);
        var unflushed = flushFirst;
        long bytes = 0;
        try
        {
            while (true)
            {
                var pending = source.ReadAsync(buffer.AsMemory(), token);
                // Writes to Kestrel's response flush already; this flush is for what is still buffered when the
                // source goes quiet, e.g. the response headers before a server-sent-events stream's first event.
                if (unflushed && !pending.IsCompleted)
                {
                    unflushed = false;
                    if (!await TryFlushAsync(destination, token))
                    {
                        var result = token.IsCancellationRequested ? CopyResult.Canceled : CopyResult.DestinationFailed;
                        // The read still owns the buffer: end it before the buffer goes back to the pool.
                        cancellation.Finish();
                        await ObserveAsync(pending);
                        return new(result, bytes);
                    }
                }
                int read;
                try
                {
                    read = await pending;
                }
                catch (Exception) when (!token.IsCancellationRequested)
                {
                    return new(CopyResult.SourceFailed, bytes);
                }
                if (read == 0)
                {
                    return new(CopyResult.Completed, bytes);
                }
                try
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), token);
                }
                catch (Exception) when (!token.IsCancellationRequested)
                {
                    return new(CopyResult.DestinationFailed, bytes);
                }
                bytes += read;
                unflushed = true;
                cancellation.Progress();
                if (read == buffer.Length && buffer.Length < LargeBuffer)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(LargeBuffer);
                }
            }
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // Cancelling a socket operation surfaces as OperationCanceledException, IOException or ObjectDisposedException.
            return new(CopyResult.Canceled, bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask<bool> TryFlushAsync(Stream destination, CancellationToken token)
    {
        try
        {
            await destination.FlushAsync(token);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static async ValueTask ObserveAsync(ValueTask<int> pending)
    {
        try
        {
            await pending;
        }
        catch (Exception)
        {
            // The copy already failed on the other side; how this read ends no longer matters.
        }
    }
}
