/**
 * Store layout of x/models (keys are public API: changing one is a migration).
 *
 *   models/models/<model id>  → inferchain.models.v1.Model
 *   models/params             → inferchain.models.v1.Params
 *
 * Model ids are `[a-z0-9][a-z0-9._-]{1,63}`, so keys stay printable ASCII and iterate in id order.
 */
export const MODELS_PREFIX = "models/models/";
export const modelKey = (id: string): string => MODELS_PREFIX + id;
export const PARAMS_KEY = "models/params";
