using System.Collections.Concurrent;

namespace Ravioli.Router.Forwarder;

/// <summary>
/// Cancels one forwarded request when the client goes away or when it makes no progress for the request timeout.
/// Pooled, like YARP's ActivityCancellationTokenSource: a linked source and its timer per request would be the
/// largest allocation on the request path.
/// </summary>
internal sealed class RequestCancellation : CancellationTokenSource
{
    private const int MaxPooled = 1024;
    private const int Running = 0;
    private const int ClientGone = 1;
    private const int Finished = 2;

    private static readonly ConcurrentQueue<RequestCancellation> s_pool = new();
    private static readonly Action<object?> s_onClientAborted = static state => ((RequestCancellation)state!).Stop(ClientGone);
    private static int s_pooled;

    private int _timeoutMs;
    private int _state;
    private CancellationTokenRegistration _clientRegistration;

    /// <summary>True when the timer, not the client or the router, cancelled the request.</summary>
    public bool TimedOut => IsCancellationRequested && Volatile.Read(ref _state) == Running;

    public static RequestCancellation Rent(TimeSpan timeout, CancellationToken clientAborted)
    {
        if (s_pool.TryDequeue(out var source))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            source = new RequestCancellation();
        }
        source._state = Running;
        source._timeoutMs = (int)timeout.TotalMilliseconds;
        source.CancelAfter(source._timeoutMs);
        source._clientRegistration = clientAborted.UnsafeRegister(s_onClientAborted, source);
        return source;
    }

    /// <summary>Bytes moved or headers arrived: the request gets a fresh timeout.</summary>
    public void Progress()
    {
        if (_timeoutMs != Timeout.Infinite)
        {
            CancelAfter(_timeoutMs);
        }
    }

    /// <summary>For WebSockets: idle connections are normal there, so only the client or the app end them.</summary>
    public void StopTimer()
    {
        _timeoutMs = Timeout.Infinite;
        CancelAfter(Timeout.Infinite);
    }

    /// <summary>Cancels what is still running for this request (the other half of a tunnel, a leftover body copy).</summary>
    public void Finish() => Stop(Finished);

    private void Stop(int reason)
    {
        Interlocked.CompareExchange(ref _state, reason, Running);
        Cancel(throwOnFirstException: false);
    }

    public void Return()
    {
        _clientRegistration.Dispose();
        _clientRegistration = default;
        if (TryReset())
        {
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
            {
                s_pool.Enqueue(this);
                return;
            }
            Interlocked.Decrement(ref s_pooled);
        }
        Dispose();
    }
}
