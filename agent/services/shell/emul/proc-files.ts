import { distroFacts, distroOf, type MachineFacts, type ShellIdentity } from './facts';

/**
 * /proc as the persona's kernel would show it: cpuinfo, meminfo and version come from the same
 * facts as lscpu, free and uname, so cross-checking them (a classic honeypot test) agrees.
 */
export function memInfo(f: MachineFacts): {
  total: number;
  free: number;
  avail: number;
  buffers: number;
  cached: number;
  shmem: number;
} {
  const total = f.memKb;
  const cached = Math.floor(total * 0.31);
  const buffers = Math.floor(total * 0.021);
  const free = Math.floor(total * 0.42);
  return { total, free, avail: free + cached + buffers - 40_000, buffers, cached, shmem: 2_348 + (total % 9_000) };
}

export function procFiles(id: ShellIdentity, f: MachineFacts): Record<string, string> {
  const d = distroFacts[distroOf(id)];
  const m = memInfo(f);
  const amd = f.cpuModel.includes('AMD');
  const cpu = (n: number) =>
    [
      `processor\t: ${n}`,
      `vendor_id\t: ${amd ? 'AuthenticAMD' : 'GenuineIntel'}`,
      `cpu family\t: ${amd ? 23 : 6}`,
      `model\t\t: ${amd ? 49 : 79}`,
      `model name\t: ${f.cpuModel}`,
      `stepping\t: ${amd ? 0 : 1}`,
      `microcode\t: 0x${amd ? '830104d' : 'b000040'}`,
      `cpu MHz\t\t: ${f.mhz.toFixed(3)}`,
      `cache size\t: ${amd ? '512 KB' : '35840 KB'}`,
      `physical id\t: 0`,
      `siblings\t: ${f.cpus}`,
      `core id\t\t: ${n}`,
      `cpu cores\t: ${f.cpus}`,
      `apicid\t\t: ${n}`,
      `fpu\t\t: yes`,
      `fpu_exception\t: yes`,
      `cpuid level\t: 13`,
      `wp\t\t: yes`,
      `flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap xsaveopt arat`,
      `bogomips\t: ${(f.mhz * 2).toFixed(2)}`,
      `clflush size\t: 64`,
      `cache_alignment\t: 64`,
      `address sizes\t: 46 bits physical, 48 bits virtual`,
      `power management:`,
      '',
    ].join('\n');
  const kb = (label: string, v: number) => `${`${label}:`.padEnd(16)}${String(v).padStart(8)} kB`;
  const meminfo = [
    kb('MemTotal', m.total),
    kb('MemFree', m.free),
    kb('MemAvailable', m.avail),
    kb('Buffers', m.buffers),
    kb('Cached', m.cached),
    kb('SwapCached', 0),
    kb('Active', Math.floor(m.total * 0.22)),
    kb('Inactive', Math.floor(m.total * 0.18)),
    kb('SwapTotal', 0),
    kb('SwapFree', 0),
    kb('Dirty', 112),
    kb('Shmem', m.shmem),
    kb('Slab', Math.floor(m.total * 0.03)),
  ].join('\n');
  const up = Math.max(0, (Date.now() - f.bootMs) / 1000);
  return {
    '/proc/cpuinfo': Array.from({ length: f.cpus }, (_, n) => cpu(n)).join('\n') + '\n',
    '/proc/meminfo': meminfo + '\n',
    '/proc/version': `Linux version ${id.kernel} (${distroOf(id) === 'debian' ? 'debian-kernel@lists.debian.org' : 'buildd@lcy02-amd64-059'}) (${d.compiler}) ${f.build}\n`,
    '/proc/uptime': `${up.toFixed(2)} ${(up * f.cpus * 0.97).toFixed(2)}\n`,
    '/proc/loadavg': '0.08 0.03 0.01 1/187 24117\n',
    '/proc/mounts': mounts().join('\n') + '\n',
    '/proc/cmdline': `BOOT_IMAGE=/boot/vmlinuz-${id.kernel} root=UUID=3c1e5e1e-8a44-4c2b-9f7e-0b6d2e7c1a90 ro quiet\n`,
    '/proc/sys/kernel/hostname': `${id.hostname}\n`,
    '/proc/sys/kernel/osrelease': `${id.kernel}\n`,
    '/proc/sys/kernel/ostype': 'Linux\n',
    // What container checks read: a VM's PID 1 is systemd in the root cgroup, not a container's.
    '/proc/1/comm': 'systemd\n',
    '/proc/1/cgroup': '0::/init.scope\n',
    '/proc/self/cgroup': '0::/user.slice/user-0.slice/session-3.scope\n',
    '/sys/class/dmi/id/product_name': 'Standard PC (i440FX + PIIX, 1996)\n',
    '/sys/class/dmi/id/sys_vendor': 'QEMU\n',
  };
}

export function mounts(): string[] {
  return [
    'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
    'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
    'udev /dev devtmpfs rw,nosuid,relatime,size=4010452k,nr_inodes=1002613,mode=755,inode64 0 0',
    'devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0',
    'tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=804136k,mode=755,inode64 0 0',
    '/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0',
    'tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0',
    'tmpfs /run/lock tmpfs rw,nosuid,nodev,noexec,relatime,size=5120k,inode64 0 0',
  ];
}
