using System.Runtime.InteropServices;
using Ravioli.Runtime.Local.Processes;

namespace Ravioli.Runtime.Local.Cgroups;

/// <summary>The ports one instance may use: it listens on <see cref="Own"/>; the rest of the instance range belongs to others.</summary>
internal sealed record PortPolicy(int Own, int RangeStart, int RangeEnd);

/// <summary>
/// Socket rules for one instance, as eBPF programs on its cgroup v2 group (cgroup/bind4, bind6, connect4, connect6).
/// Apps share the host's network, so without them an app could bind a port the router, the node agent, the control
/// plane or another instance needs — and serve that port's traffic (and receive the tokens sent to it) once its owner
/// restarts — or connect to another instance straight past the router. With them: bind() succeeds only for $PORT (or
/// port 0, an ephemeral port the kernel picks), and connect() to the instance port range only for $PORT; everything
/// else fails with EPERM. The kernel keeps the programs with the group and drops them when the group is removed, and
/// the app, without capabilities, can neither detach nor change them.
/// </summary>
internal static unsafe class PortFilter
{
    private const int ProgLoad = 5;
    private const int ProgAttach = 8;
    private const uint ProgTypeCgroupSockAddr = 18;
    private const uint AttachInet4Bind = 8;
    private const uint AttachInet6Bind = 9;
    private const uint AttachInet4Connect = 10;
    private const uint AttachInet6Connect = 11;
    // Other programs (a host's own, on a parent group) keep running next to ours; all of them must allow.
    private const uint AllowMulti = 2;
    // struct bpf_sock_addr: __u32 user_port, in network byte order.
    private const short UserPortOffset = 24;

    /// <summary>Attaches the four programs to <paramref name="cgroupDir"/>, a cgroup v2 directory; throws <see cref="IOException"/> when the kernel refuses.</summary>
    public static void Attach(string cgroupDir, PortPolicy policy)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new IOException("the port filter's instructions are encoded for little-endian hosts");
        }

        var cgroup = Native.OpenDirectory(cgroupDir);
        if (cgroup < 0)
        {
            throw new IOException($"cannot open cgroup {cgroupDir}: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            var bind = BindProgram(policy.Own);
            var connect = ConnectProgram(policy);
            foreach (var (program, attachType) in new[] { (bind, AttachInet4Bind), (bind, AttachInet6Bind), (connect, AttachInet4Connect), (connect, AttachInet6Connect) })
            {
                var fd = Load(program, attachType);
                try
                {
                    var attach = new ProgAttachAttributes { TargetFd = (uint)cgroup, AttachBpfFd = (uint)fd, AttachType = attachType, AttachFlags = AllowMulti };
                    if (Native.Bpf(ProgAttach, &attach, sizeof(ProgAttachAttributes)) < 0)
                    {
                        throw new IOException($"attaching the port filter to {cgroupDir} failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                finally
                {
                    // The group holds its own reference from here on.
                    Native.CloseDescriptor(fd);
                }
            }
        }
        finally
        {
            Native.CloseDescriptor(cgroup);
        }
    }

    /// <summary>Proves the kernel takes the programs by attaching them to a throwaway group under <paramref name="parentDir"/>; returns why not, or null.</summary>
    public static string? Probe(string parentDir)
    {
        var probe = Path.Combine(parentDir, $"probe-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(probe);
            Attach(probe, new PortPolicy(61000, 61000, 61999));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return e.Message;
        }
        finally
        {
            InstanceCgroup.TryRemove([probe]);
        }
    }

    /// <summary>Allow bind() to port 0 and to the instance's own port; refuse every other port.</summary>
    internal static ulong[] BindProgram(int own) =>
    [
        Insn(0x61, 2, 1, UserPortOffset, 0),   // r2 = ctx->user_port
        Insn(0xdc, 2, 0, 0, 16),               // r2 = be16(r2): host byte order
        Insn(0xb7, 0, 0, 0, 1),                // r0 = 1 (allow)
        Insn(0x15, 2, 0, 2, 0),                // if r2 == 0 goto exit
        Insn(0x15, 2, 0, 1, own),              // if r2 == own goto exit
        Insn(0xb7, 0, 0, 0, 0),                // r0 = 0 (refuse: EPERM)
        Insn(0x95, 0, 0, 0, 0),                // exit
    ];

    /// <summary>Allow connect() anywhere except to another port of the instance range.</summary>
    internal static ulong[] ConnectProgram(PortPolicy policy) =>
    [
        Insn(0x61, 2, 1, UserPortOffset, 0),   // r2 = ctx->user_port
        Insn(0xdc, 2, 0, 0, 16),               // r2 = be16(r2)
        Insn(0xb7, 0, 0, 0, 1),                // r0 = 1 (allow)
        Insn(0x15, 2, 0, 3, policy.Own),       // if r2 == own goto exit
        Insn(0xa5, 2, 0, 2, policy.RangeStart), // if r2 < start goto exit
        Insn(0x25, 2, 0, 1, policy.RangeEnd),  // if r2 > end goto exit
        Insn(0xb7, 0, 0, 0, 0),                // r0 = 0 (refuse: EPERM)
        Insn(0x95, 0, 0, 0, 0),                // exit
    ];

    /// <summary>struct bpf_insn { u8 code; u8 dst:4, src:4; s16 off; s32 imm; } as one little-endian word.</summary>
    private static ulong Insn(byte code, byte dst, byte src, short offset, int immediate) =>
        code | ((ulong)(byte)(dst | (src << 4)) << 8) | ((ulong)(ushort)offset << 16) | ((ulong)(uint)immediate << 32);

    private static int Load(ulong[] program, uint attachType)
    {
        var license = "Dual MIT/GPL\0"u8;
        fixed (ulong* instructions = program)
        fixed (byte* licenseText = license)
        {
            var load = new ProgLoadAttributes
            {
                ProgType = ProgTypeCgroupSockAddr,
                InsnCount = (uint)program.Length,
                Instructions = (ulong)instructions,
                License = (ulong)licenseText,
                ExpectedAttachType = attachType,
            };
            var fd = Native.Bpf(ProgLoad, &load, sizeof(ProgLoadAttributes));
            return fd >= 0 ? (int)fd : throw new IOException($"loading the port filter failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>union bpf_attr as BPF_PROG_LOAD reads it, up to expected_attach_type.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ProgLoadAttributes
    {
        public uint ProgType;
        public uint InsnCount;
        public ulong Instructions;
        public ulong License;
        public uint LogLevel;
        public uint LogSize;
        public ulong LogBuffer;
        public uint KernelVersion;
        public uint ProgFlags;
        public fixed byte ProgName[16];
        public uint ProgIfIndex;
        public uint ExpectedAttachType;
    }

    /// <summary>union bpf_attr as BPF_PROG_ATTACH reads it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ProgAttachAttributes
    {
        public uint TargetFd;
        public uint AttachBpfFd;
        public uint AttachType;
        public uint AttachFlags;
        public uint ReplaceBpfFd;
    }
}
