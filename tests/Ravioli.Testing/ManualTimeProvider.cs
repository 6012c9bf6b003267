namespace Ravioli.Testing;

/// <summary>
/// A clock the test moves by hand, so token expiry and lockouts are tested without sleeping. Like a real
/// clock it never stands still: every reading is one tick later than the last, so ordering by time works.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, 10), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
