/** The identity DynamoDB puts on records of items its TTL process deleted. */
export const TTL_USER_IDENTITY = {
  type: 'Service',
  principalId: 'dynamodb.amazonaws.com',
} as const;
