/**
 * Where the regions of the latency datasets are (latitude, longitude in degrees), for the page's
 * world map. The wondernetwork dataset carries its cities' coordinates; the AWS regions are placed
 * at the metropolitan area AWS names for each (its Regions and Availability Zones page), and
 * SimBlock's six regions at a representative point of each.
 */
import { DATASETS } from './datasets.js';
import wonderNetwork from './data/wondernetwork-city-rtt-2018.json' with { type: 'json' };

const AWS: Readonly<Record<string, [number, number]>> = {
  'us-east-1': [38.9, -77.4], // N. Virginia
  'us-east-2': [40.0, -83.0], // Ohio
  'us-west-1': [37.4, -121.9], // N. California
  'us-west-2': [45.8, -119.7], // Oregon
  'ca-central-1': [45.5, -73.6], // Montréal
  'sa-east-1': [-23.5, -46.6], // São Paulo
  'eu-central-1': [50.1, 8.7], // Frankfurt
  'eu-west-1': [53.3, -6.3], // Ireland (Dublin)
  'eu-west-2': [51.5, -0.1], // London
  'eu-west-3': [48.9, 2.4], // Paris
  'eu-north-1': [59.3, 18.1], // Stockholm
  'eu-south-1': [45.5, 9.2], // Milan
  'me-south-1': [26.1, 50.6], // Bahrain
  'af-south-1': [-33.9, 18.4], // Cape Town
  'ap-east-1': [22.3, 114.2], // Hong Kong
  'ap-south-1': [19.1, 72.9], // Mumbai
  'ap-northeast-1': [35.7, 139.7], // Tokyo
  'ap-northeast-2': [37.6, 127.0], // Seoul
  'ap-northeast-3': [34.7, 135.5], // Osaka
  'ap-southeast-1': [1.35, 103.8], // Singapore
  'ap-southeast-2': [-33.9, 151.2], // Sydney
};

/** wittgenstein's region names, by their AWS codes (the dataset lists both, in the same order). */
const AWS_NAMES: Readonly<Record<string, string>> = {
  Oregon: 'us-west-2', Virginia: 'us-east-1', Mumbai: 'ap-south-1', Seoul: 'ap-northeast-2', Singapore: 'ap-southeast-1',
  Sydney: 'ap-southeast-2', Tokyo: 'ap-northeast-1', 'Canada central': 'ca-central-1', Frankfurt: 'eu-central-1',
  Ireland: 'eu-west-1', London: 'eu-west-2',
};

const SIMBLOCK: Readonly<Record<string, [number, number]>> = {
  NORTH_AMERICA: [39, -98], EUROPE: [50, 10], SOUTH_AMERICA: [-15, -56], ASIA_PACIFIC: [15, 105], JAPAN: [36, 138], AUSTRALIA: [-25, 134],
};

let cities: Map<string, [number, number]> | null = null;

/** A region's place, or null when the dataset does not say (the uniform dataset has no places). */
export function regionLatLon(dataset: string, region: string): [number, number] | null {
  if (dataset === 'wondernetwork-city-rtt-2018') {
    if (cities === null) cities = new Map(wonderNetwork.cities.map((c) => [c.name, [c.lat, c.lon] as [number, number]]));
    return cities.get(region) ?? null;
  }
  if (dataset === 'simblock-2019') return SIMBLOCK[region] ?? null;
  if (DATASETS[dataset] !== undefined) return AWS[region] ?? AWS[AWS_NAMES[region] ?? ''] ?? null;
  return null;
}
