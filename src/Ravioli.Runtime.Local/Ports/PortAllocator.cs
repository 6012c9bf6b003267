using System.Net;
using System.Net.Sockets;

namespace Ravioli.Runtime.Local.Ports;

/// <summary>Hands out ports from the configured range: never one another instance holds, never one something on the host is bound to.</summary>
internal sealed class PortAllocator
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, string> _owners = [];
    private readonly int _first;
    private readonly int _last;
    private int _cursor;

    public PortAllocator(int first, int last)
    {
        _first = first;
        _last = last;
        _cursor = first;
    }

    /// <summary>Records a port an adopted instance already holds.</summary>
    public void Reserve(int port, string owner)
    {
        lock (_gate)
        {
            _owners[port] = owner;
        }
    }

    /// <summary>The owner's previous port when it is still free to use, otherwise the next free one in the range.</summary>
    public int Allocate(string owner, int? preferred)
    {
        lock (_gate)
        {
            if (preferred is { } p)
            {
                var heldByAnother = _owners.TryGetValue(p, out var holder) && holder != owner;
                if (!heldByAnother && IsBindable(p))
                {
                    _owners[p] = owner;
                    return p;
                }

                if (!heldByAnother)
                {
                    // Our old port, taken meanwhile by something else on the host.
                    _owners.Remove(p);
                }
            }

            var size = _last - _first + 1;
            for (var i = 0; i < size; i++)
            {
                // A moving cursor spreads ports out, so a just-freed port is not immediately reused by another app.
                var candidate = _first + ((_cursor - _first + i) % size);
                if (!_owners.ContainsKey(candidate) && IsBindable(candidate))
                {
                    _cursor = candidate + 1 > _last ? _first : candidate + 1;
                    _owners[candidate] = owner;
                    return candidate;
                }
            }

            throw new InvalidOperationException($"no free port left in {_first}-{_last}");
        }
    }

    public void Release(int port, string owner)
    {
        lock (_gate)
        {
            if (_owners.TryGetValue(port, out var holder) && holder == owner)
            {
                _owners.Remove(port);
            }
        }
    }

    private static bool IsBindable(int port)
    {
        // Apps bind 127.0.0.1 or 0.0.0.0; a listener on either makes the port unusable.
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.Any })
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(address, port));
            }
            catch (SocketException)
            {
                return false;
            }
        }

        return true;
    }
}
