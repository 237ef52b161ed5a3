// Negative errno values as the addon returns them, from Node's table for this
// platform (os.constants.errno), so no number is written down here.
import { constants } from 'node:os';

const E = constants.errno;
export const EAGAIN = -E.EAGAIN;
export const EINPROGRESS = -E.EINPROGRESS;
export const ENAMETOOLONG = -E.ENAMETOOLONG;
export const ENOPROTOOPT = -E.ENOPROTOOPT;
export const ENODEV = -E.ENODEV;
export const EAFNOSUPPORT = -E.EAFNOSUPPORT;
export const EINVAL = -E.EINVAL;
export const ENOSYS = -E.ENOSYS;
export const EOPNOTSUPP = -E.EOPNOTSUPP;
export const ESPIPE = -E.ESPIPE;
export const EALREADY = -E.EALREADY;
export const EBADF = -E.EBADF;
export const EPROTONOSUPPORT = -E.EPROTONOSUPPORT;
